using Robinhood.V1;

namespace Robinhood.Controller.Membership;

/// <summary>
/// The endpoints of each service as discovery last saw them. With Kubernetes membership on they are the
/// authority on who may join a service: a report for an endpoint outside its service's EndpointSlices is
/// refused, whoever sends it (docs/trust.md), on the leader and on every follower before it forwards.
/// With membership off every endpoint may join by reporting (self-registration).
/// </summary>
public sealed class ServiceMembers(bool enabled)
{
    /// <summary>The refusal of a report for an endpoint its service's EndpointSlices do not hold.</summary>
    public static readonly Refusal NotMember = Refusal.Of(
        RefusalReason.Membership, "endpoint", "is not a ready endpoint in this service's EndpointSlices (membership)");

    private readonly Dictionary<string, HashSet<Member>> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _endpoints = new(StringComparer.Ordinal);

    /// <summary>Whether membership decides who may join (Kubernetes on).</summary>
    public bool Enabled { get; } = enabled;

    /// <summary>Null when <paramref name="endpoint"/> may report into <paramref name="service"/>, else <see cref="NotMember"/>.</summary>
    public Refusal? Check(string service, string endpoint)
    {
        if (!Enabled)
        {
            return null;
        }

        lock (_members)
        {
            return _endpoints.TryGetValue(service, out var present) && present.Contains(endpoint) ? null : NotMember;
        }
    }

    /// <summary>The endpoints of a service as last seen in discovery.</summary>
    public IReadOnlyCollection<string> Endpoints(string service)
    {
        lock (_members)
        {
            return _endpoints.TryGetValue(service, out var present) ? [.. present] : [];
        }
    }

    /// <summary>Every service's members, copied (a replica taking a shard reconciles its services to them).</summary>
    public IReadOnlyList<(string Service, IReadOnlyCollection<Member> Members)> All()
    {
        lock (_members)
        {
            return [.. _members.Select(p => (p.Key, (IReadOnlyCollection<Member>)[.. p.Value]))];
        }
    }

    /// <summary>A service's members as last seen in discovery, copied.</summary>
    public IReadOnlyCollection<Member> Of(string service)
    {
        lock (_members)
        {
            return _members.TryGetValue(service, out var present) ? [.. present] : [];
        }
    }

    /// <summary>Sets a service's members.</summary>
    public void Replace(string service, HashSet<Member> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        lock (_members)
        {
            _members[service] = members;
            _endpoints[service] = members.Select(m => m.Endpoint).ToHashSet(StringComparer.Ordinal);
        }
    }
}

/// <summary>One endpoint in discovery: its canonical <c>host:port</c> and zone.</summary>
public sealed record Member(string Endpoint, string Zone);
