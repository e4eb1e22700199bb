using Google.Protobuf.WellKnownTypes;
using Robinhood.Control;
using Robinhood.V1;

namespace Robinhood.Controller.Publish;

/// <summary>
/// The one place a snapshot is made and versioned: turns a service's <see cref="ServiceWeights"/> into the
/// next <see cref="WeightSnapshot"/> when something a client acts on differs from what the
/// <see cref="SnapshotCache"/> holds. The caller hands what it made to <see cref="SnapshotCache.Set"/>.
/// </summary>
public sealed class SnapshotPublisher(SnapshotCache cache, TimeProvider time)
{
    /// <summary>
    /// The next snapshot of the service, or null when the cache already holds these weights.
    /// <paramref name="above"/> is a version the new one must exceed besides the cache's (a stored one).
    /// </summary>
    public WeightSnapshot? Next(ServiceWeights weights, ulong above = 0)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var current = cache.Get(weights.Service);
        if (current.Version > 0 && Same(weights, current))
        {
            return null;
        }

        var now = time.GetUtcNow();
        var snapshot = new WeightSnapshot
        {
            Service = weights.Service,
            Version = NextVersion(Math.Max(current.Version, above), now),
            ComputedAt = Timestamp.FromDateTimeOffset(now),
        };
        snapshot.Endpoints.Capacity = weights.Endpoints.Count;
        foreach (var e in weights.Endpoints)
        {
            snapshot.Endpoints.Add(new EndpointWeight
            {
                Endpoint = e.Endpoint,
                Weight = e.Weight,
                Zone = e.Zone,
                State = ToState(e.Phase),
                Utilization = double.IsFinite(e.Utilization) ? e.Utilization : 0,
            });
        }

        ControllerMetrics.Snapshots.WithLabels(weights.Service).Inc();
        return snapshot;
    }

    /// <summary>True when weights, states, zones and membership match (utilization alone does not count).</summary>
    private static bool Same(ServiceWeights weights, WeightSnapshot snapshot)
    {
        if (weights.Endpoints.Count != snapshot.Endpoints.Count)
        {
            return false;
        }

        for (var i = 0; i < weights.Endpoints.Count; i++)
        {
            var a = weights.Endpoints[i];
            var b = snapshot.Endpoints[i];
            if (a.Endpoint != b.Endpoint || a.Weight != b.Weight || ToState(a.Phase) != b.State || a.Zone != b.Zone)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Versions rise by one per snapshot but never fall behind the clock in milliseconds, so a controller
    /// restarted without persisted state still publishes versions above the ones clients hold.
    /// </summary>
    public static ulong NextVersion(ulong last, DateTimeOffset now) =>
        Math.Max(last + 1, (ulong)Math.Max(0, now.ToUnixTimeMilliseconds()));

    /// <summary>A snapshot as the weights it carries (a follower's dashboard, a leader resuming a stored snapshot).</summary>
    public static ServiceWeights ToWeights(WeightSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        // A snapshot carries no frozen flag.
        return new ServiceWeights(
            snapshot.Service,
            [.. snapshot.Endpoints.Select(e => new WeightedEndpoint(e.Endpoint, e.Zone, e.Weight, ToPhase(e.State), e.Utilization))],
            Frozen: false);
    }

    public static EndpointState ToState(EndpointPhase phase) => phase switch
    {
        EndpointPhase.Warming => EndpointState.Warming,
        EndpointPhase.Active => EndpointState.Active,
        EndpointPhase.Stale => EndpointState.Stale,
        EndpointPhase.Draining => EndpointState.Draining,
        _ => EndpointState.Unspecified,
    };

    /// <summary>The inverse of <see cref="ToState"/>, for a follower showing the leader's snapshot.</summary>
    public static EndpointPhase ToPhase(EndpointState state) => state switch
    {
        EndpointState.Warming => EndpointPhase.Warming,
        EndpointState.Active => EndpointPhase.Active,
        EndpointState.Stale => EndpointPhase.Stale,
        EndpointState.Draining => EndpointPhase.Draining,
        // Unspecified or a state this build does not know: its weight is not known to be under control.
        _ => EndpointPhase.Stale,
    };
}
