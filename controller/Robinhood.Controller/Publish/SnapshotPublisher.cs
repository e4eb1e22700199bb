using System.Collections.Concurrent;
using Robinhood.Control;
using Robinhood.V1;

namespace Robinhood.Controller.Publish;

/// <summary>
/// The one place a snapshot is made and versioned: turns a service's <see cref="ServiceWeights"/> into the
/// next snapshot, encoded straight to bytes (<see cref="PublishedSnapshot.Encode"/>), when something a client acts
/// on differs from what the <see cref="SnapshotCache"/> holds. The caller hands what it made to <see cref="SnapshotCache.Set"/>.
/// </summary>
public sealed class SnapshotPublisher
{
    private readonly SnapshotCache _cache;
    private readonly TimeProvider _time;
    // The weights of the last snapshot made per service: while the cache holds that snapshot, a tick is compared
    // with them rather than with the snapshot parsed back from its bytes.
    private readonly ConcurrentDictionary<string, Made> _made = new(StringComparer.Ordinal);

    public SnapshotPublisher(SnapshotCache cache, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
        _time = time;
        cache.Removed += service => _made.TryRemove(service, out _);
    }

    /// <summary>
    /// The next snapshot of the service, or null when the cache already holds these weights.
    /// <paramref name="above"/> is a version the new one must exceed besides the cache's (a stored one).
    /// </summary>
    public PublishedSnapshot? Next(ServiceWeights weights, ulong above = 0)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var current = _cache.GetPublished(weights.Service);
        var made = _made.GetOrAdd(weights.Service, static _ => new Made());
        lock (made)
        {
            // A snapshot made elsewhere (stored, or another replica's) is read back from its bytes.
            if (current.Version > 0 && Same(weights, ReferenceEquals(current, made.Snapshot) ? made.Weights! : ToWeights(current.Message)))
            {
                return null;
            }

            var now = _time.GetUtcNow();
            var snapshot = PublishedSnapshot.Encode(weights, NextVersion(Math.Max(current.Version, above), now), now, made.Spare);
            if (ReferenceEquals(snapshot.Bytes, made.Spare))
            {
                // Handed out: the snapshot's now. A spare of another size stays until PrepareNext replaces it.
                made.Spare = null;
            }

            made.Snapshot = snapshot;
            made.Weights = weights.CopyTo(ref made.Buffer);
            // The service's counter is looked up once per Made: a lookup per snapshot was ~7% of a tick. Made goes when the
            // cache forgets the service, before the control loop removes the counter's series (ControlLoop.Forget).
            (made.Published ??= ControllerMetrics.Snapshots.WithLabels(weights.Service)).Inc();
            return snapshot;
        }
    }

    /// <summary>
    /// Makes ready, for every service that has a snapshot made here, an array of that snapshot's size for the next one
    /// (<see cref="PublishedSnapshot.Encode"/> writes into it when the size still matches, as it does while membership
    /// and the weights' magnitudes stay). The control loop calls this between ticks, away from the tick and the
    /// watchers' writes after it: the tick then allocates almost nothing, so the gen-0 collections its snapshots would
    /// trigger (a tick made ~8% of the process's allocation in ~0.4% of its time) start between ticks instead. The
    /// garbage is the same; where the collection lands is not. An array is handed out once and never reused. One the
    /// next snapshot did not fit stays, until the last snapshot's size differs from it here.
    /// </summary>
    public void PrepareNext()
    {
        foreach (var made in _made.Values)
        {
            lock (made)
            {
                if (made.Snapshot is { } last && made.Spare?.Length != last.Bytes.Length)
                {
                    made.Spare = new byte[last.Bytes.Length];
                }
            }
        }
    }

    /// <summary>True when weights, states, zones and membership match (utilization alone does not count).</summary>
    private static bool Same(ServiceWeights weights, ServiceWeights previous)
    {
        if (weights.Endpoints.Count != previous.Endpoints.Count)
        {
            return false;
        }

        for (var i = 0; i < weights.Endpoints.Count; i++)
        {
            var a = weights.Endpoints[i];
            var b = previous.Endpoints[i];
            if (a.Endpoint != b.Endpoint || a.Weight != b.Weight || ToState(a.Phase) != ToState(b.Phase) || a.Zone != b.Zone)
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

    /// <summary>A service's last snapshot made here, with a copy of its weights in a buffer reused from snapshot to snapshot.</summary>
    private sealed class Made
    {
        public WeightedEndpoint[] Buffer = [];

        /// <summary>An array of the last snapshot's size for the next one, made between ticks (<see cref="PrepareNext"/>).</summary>
        public byte[]? Spare;

        /// <summary>The service's robinhood_controller_snapshots_published_total.</summary>
        public Prometheus.Counter.Child? Published;

        public PublishedSnapshot? Snapshot { get; set; }

        public ServiceWeights? Weights { get; set; }
    }

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
