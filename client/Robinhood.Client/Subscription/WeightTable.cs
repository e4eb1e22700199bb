using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Robinhood.Client.Picking;
using Robinhood.V1;

namespace Robinhood.Client.Subscription;

/// <summary>An immutable, ready-to-pick view of one service's snapshot; swapped whole when a new snapshot arrives.</summary>
public sealed class WeightTable
{
    private const uint EqualWeight = 1000;

    private readonly WeightedRoundRobin<WeightedEndpoint>? _picker;
    private readonly FrozenDictionary<string, WeightedEndpoint> _byAddress;
    private readonly FrozenSet<string> _members;

    private WeightTable(string service, ulong version, DateTimeOffset? computedAt, bool isFallback, bool isPlaceholder, WeightedEndpoint[] endpoints, Random random)
    {
        Service = service;
        Version = version;
        ComputedAt = computedAt;
        IsFallback = isFallback;
        IsPlaceholder = isPlaceholder;
        Endpoints = endpoints;
        _byAddress = endpoints.ToFrozenDictionary(e => e.Address, StringComparer.Ordinal);
        _members = _byAddress.Keys.ToFrozenSet(StringComparer.Ordinal);
        var weights = endpoints.Select(e => e.Weight).ToArray();
        PickableCount = weights.Count(w => w > 0);
        if (weights.Any(w => w > 0))
        {
            lock (random)
            {
                _picker = new WeightedRoundRobin<WeightedEndpoint>(endpoints, weights, random);
            }
        }
    }

    /// <summary>The logical service.</summary>
    public string Service { get; }

    /// <summary>The controller's snapshot version.</summary>
    public ulong Version { get; }

    /// <summary>When the controller computed the snapshot, if it said.</summary>
    public DateTimeOffset? ComputedAt { get; }

    /// <summary>True when the snapshot outlived its maximum age and equal weights replaced the published ones.</summary>
    public bool IsFallback { get; }

    /// <summary>True until the first snapshot of the service arrives.</summary>
    public bool IsPlaceholder { get; }

    /// <summary>Every member of the service, including those that get no requests (weight 0, DRAINING).</summary>
    public IReadOnlyList<WeightedEndpoint> Endpoints { get; }

    /// <summary>The members' addresses.</summary>
    public IReadOnlySet<string> Members => _members;

    /// <summary>Endpoints with a positive weight.</summary>
    public int PickableCount { get; }

    /// <summary>True when at least one endpoint has a positive weight.</summary>
    public bool CanPick => _picker is not null;

    /// <summary>Picks the endpoint for the next request; false when no endpoint may receive one.</summary>
    public bool TryPick([NotNullWhen(true)] out WeightedEndpoint? endpoint)
    {
        endpoint = _picker?.Pick();
        return endpoint is not null;
    }

    /// <summary>The weight the client applies to an endpoint, 0 when it is not a member.</summary>
    public uint WeightOf(string address) => _byAddress.TryGetValue(address, out var endpoint) ? endpoint.Weight : 0;

    /// <summary>True when both tables have the same members (weights may differ).</summary>
    public bool HasSameMembers(WeightTable other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return _members.SetEquals(other._members);
    }

    /// <summary>The table a service has before its first snapshot: no members.</summary>
    public static WeightTable Placeholder(string service) => new(service, 0, null, false, true, [], Random.Shared);

    /// <summary>Builds the table for a snapshot: DRAINING members get weight 0; unparseable addresses are left out and returned.</summary>
    public static WeightTable FromSnapshot(WeightSnapshot snapshot, Random random, out IReadOnlyList<string> rejected)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var endpoints = new List<WeightedEndpoint>(snapshot.Endpoints.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var invalid = new List<string>();
        foreach (var published in snapshot.Endpoints)
        {
            if (!WeightedEndpoint.TryParseAddress(published.Endpoint, out var host, out var port) || !seen.Add(published.Endpoint))
            {
                invalid.Add(published.Endpoint);
                continue;
            }

            var weight = published.State == EndpointState.Draining ? 0 : published.Weight;
            endpoints.Add(new WeightedEndpoint(published.Endpoint, host, port, weight, published.State, published.Zone));
        }

        rejected = invalid;
        return new WeightTable(snapshot.Service, snapshot.Version, snapshot.ComputedAt?.ToDateTimeOffset(), false, false, [.. endpoints], random);
    }

    /// <summary>The same table with the ejected endpoints at weight 0: their share goes to the others.</summary>
    public WeightTable WithEjected(IReadOnlySet<string> ejected, Random random)
    {
        ArgumentNullException.ThrowIfNull(ejected);
        var endpoints = Endpoints
            .Select(e => ejected.Contains(e.Address) ? e with { Weight = 0 } : e)
            .ToArray();
        return new WeightTable(Service, Version, ComputedAt, IsFallback, IsPlaceholder, endpoints, random);
    }

    /// <summary>The same members with equal weights, except those DRAINING: used once the snapshot is too old to trust.</summary>
    public WeightTable WithEqualWeights(Random random)
    {
        var endpoints = Endpoints
            .Select(e => e with { Weight = e.State == EndpointState.Draining ? 0 : EqualWeight })
            .ToArray();
        return new WeightTable(Service, Version, ComputedAt, true, IsPlaceholder, endpoints, random);
    }
}
