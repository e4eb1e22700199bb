using Google.Protobuf.WellKnownTypes;
using Robinhood.Control;
using Robinhood.V1;

namespace Robinhood.Controller.Publish;

/// <summary>
/// Turns a tick's <see cref="ServiceWeights"/> into a versioned <see cref="WeightSnapshot"/>, only when
/// something a client acts on changed, and stores it in the cache. The caller wakes the watchers
/// (<see cref="SnapshotCache.Notify"/>) once its tick is done, so their writes do not compete with it.
/// </summary>
public sealed class SnapshotPublisher(SnapshotCache cache, TimeProvider time)
{
    private readonly Dictionary<string, ServiceWeights> _published = new(StringComparer.Ordinal);

    /// <summary>Stores a new snapshot when the weights differ from the last published; returns it, or null.</summary>
    public WeightSnapshot? Publish(ServiceWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        lock (_published)
        {
            if (weights.SameWeightsAs(_published.GetValueOrDefault(weights.Service)))
            {
                return null;
            }

            _published[weights.Service] = weights;
        }

        var now = time.GetUtcNow();
        var snapshot = new WeightSnapshot
        {
            Service = weights.Service,
            Version = NextVersion(cache.Get(weights.Service).Version, now),
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

        cache.Store(snapshot);
        ControllerMetrics.Snapshots.WithLabels(weights.Service).Inc();
        return snapshot;
    }

    /// <summary>
    /// Versions rise by one per snapshot but never fall behind the clock in milliseconds, so a controller
    /// restarted without persisted state still publishes versions above the ones clients hold.
    /// </summary>
    public static ulong NextVersion(ulong last, DateTimeOffset now) =>
        Math.Max(last + 1, (ulong)Math.Max(0, now.ToUnixTimeMilliseconds()));

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
