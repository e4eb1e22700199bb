using System.ComponentModel.DataAnnotations;

namespace Robinhood.Controller.Leadership;

/// <summary>
/// <c>Robinhood:Leadership</c>: the shards services are spread over and the Leases replicas elect each shard's
/// owner on (used when <c>Robinhood:Kubernetes:Enabled</c>; otherwise this process owns every shard).
/// </summary>
public sealed class LeadershipOptions : IValidatableObject
{
    public const string Section = "Robinhood:Leadership";

    /// <summary>Prefix of the coordination.k8s.io Leases, one per shard: <c>&lt;LeaseName&gt;-&lt;shard&gt;</c> in <c>Robinhood:Kubernetes:Namespace</c>.</summary>
    [Required]
    [RegularExpression("^[a-z0-9]([-a-z0-9.]{0,243}[a-z0-9])?$", ErrorMessage = "Robinhood:Leadership:LeaseName must be a DNS subdomain name of at most 245 characters (a shard number is appended)")]
    public string LeaseName { get; set; } = "robinhood-controller";

    /// <summary>
    /// How many shards services are spread over (by rendezvous hashing of the name), each owned by one replica.
    /// At least the number of replicas, or some replicas own nothing; every replica must be given the same number.
    /// </summary>
    [Range(1, 1024, ErrorMessage = "Robinhood:Leadership:Shards must be between 1 and 1024")]
    public int Shards { get; set; } = 1;

    /// <summary>This replica's holder identity in the Lease.</summary>
    [Required]
    public string Identity { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>
    /// The gRPC address other replicas forward reports to while this one owns a shard (written on its Leases).
    /// Default: the Grpc endpoint's URL with a wildcard host replaced by POD_IP or the host name.
    /// </summary>
    public string? AdvertiseAddress { get; set; }

    /// <summary>
    /// The Http address other replicas forward admin calls to while this one owns a shard (written on its Leases).
    /// Default: the Http endpoint's URL with a wildcard host replaced by POD_IP or the host name.
    /// </summary>
    public string? AdvertiseHttpAddress { get; set; }

    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (LeaseDuration < TimeSpan.FromSeconds(1) || LeaseDuration.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            yield return new($"{Section}:LeaseDuration must be a whole number of seconds, at least 00:00:01 (got {LeaseDuration})");
        }

        if (RenewDeadline <= TimeSpan.Zero || RenewDeadline >= LeaseDuration)
        {
            yield return new($"{Section}:RenewDeadline must be positive and shorter than LeaseDuration (got {RenewDeadline})");
        }

        if (RetryPeriod <= TimeSpan.Zero || RetryPeriod >= RenewDeadline)
        {
            yield return new($"{Section}:RetryPeriod must be positive and shorter than RenewDeadline (got {RetryPeriod})");
        }

        if (AdvertiseAddress is { Length: > 0 } a && !Uri.TryCreate(a, UriKind.Absolute, out _))
        {
            yield return new($"{Section}:AdvertiseAddress must be an absolute URL like http://10.0.0.5:7000 (got \"{a}\")");
        }

        if (AdvertiseHttpAddress is { Length: > 0 } h && !(Uri.TryCreate(h, UriKind.Absolute, out var http) && http.Scheme is "http" or "https"))
        {
            yield return new($"{Section}:AdvertiseHttpAddress must be an absolute http(s) URL like http://10.0.0.5:7001 (got \"{h}\")");
        }
    }
}
