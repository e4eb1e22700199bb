namespace Robinhood.V1;

/// <summary>
/// Why something a caller sent was refused: the closed set of rules of the contract. Each is the key of
/// an ack's error text and, through <see cref="RefusalReasons.Label"/>, the <c>reason</c> label of the
/// refusal metrics, so a label never depends on what a caller wrote.
/// </summary>
public enum RefusalReason
{
    /// <summary>A required field is empty.</summary>
    Empty,

    /// <summary>A field is longer than its rule allows.</summary>
    TooLong,

    /// <summary>A field holds a character its rule does not allow.</summary>
    Characters,

    /// <summary>A string field's bytes are not UTF-8.</summary>
    NotUtf8,

    /// <summary>An endpoint is not <c>host:port</c>.</summary>
    Malformed,

    /// <summary>An endpoint's host is not a DNS name, an IPv4 address or a bracketed IPv6 address.</summary>
    Host,

    /// <summary>An endpoint's port is not a decimal number in 1..65535.</summary>
    Port,

    /// <summary>A number is not finite or outside its range.</summary>
    OutOfRange,

    /// <summary>A timestamp is outside the range a Timestamp can hold.</summary>
    Timestamp,

    /// <summary>A sequence is not above the last one accepted for the endpoint on the stream.</summary>
    Sequence,

    /// <summary>The reporting identity may not report this endpoint into this service.</summary>
    Permission,

    /// <summary>With Kubernetes membership on, the endpoint is not in the service's EndpointSlices.</summary>
    Membership,

    /// <summary>The controller holds as many services as it is configured to.</summary>
    ServiceLimit,

    /// <summary>The service holds as many endpoints as it is configured to.</summary>
    EndpointLimit,

    /// <summary>A request names more services than allowed (per Watch request or per connection).</summary>
    WatchLimit,

    /// <summary>A stream's token is missing, unknown, expired or revoked: the stream ends with UNAUTHENTICATED.</summary>
    Unauthenticated,

    /// <summary>A follower could not hand the report to a leader (none known, or the link failed): retry.</summary>
    Unavailable,

    /// <summary>The leader refused a report a follower forwarded (the leader counts its own reason).</summary>
    Leader,

    /// <summary>A Report stream already carries as many services as one stream may.</summary>
    StreamLimit,
}

/// <summary>The metric label of each <see cref="RefusalReason"/>.</summary>
public static class RefusalReasons
{
    /// <summary>The <c>reason</c> label value: snake_case, one per reason, stable across releases.</summary>
    public static string Label(this RefusalReason reason) => reason switch
    {
        RefusalReason.Empty => "empty",
        RefusalReason.TooLong => "too_long",
        RefusalReason.Characters => "characters",
        RefusalReason.NotUtf8 => "not_utf8",
        RefusalReason.Malformed => "malformed",
        RefusalReason.Host => "host",
        RefusalReason.Port => "port",
        RefusalReason.OutOfRange => "out_of_range",
        RefusalReason.Timestamp => "timestamp",
        RefusalReason.Sequence => "sequence",
        RefusalReason.Permission => "permission",
        RefusalReason.Membership => "membership",
        RefusalReason.ServiceLimit => "service_limit",
        RefusalReason.EndpointLimit => "endpoint_limit",
        RefusalReason.WatchLimit => "watch_limit",
        RefusalReason.Unauthenticated => "unauthenticated",
        RefusalReason.Unavailable => "unavailable",
        RefusalReason.Leader => "leader",
        RefusalReason.StreamLimit => "stream_limit",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "not a refusal reason"),
    };
}
