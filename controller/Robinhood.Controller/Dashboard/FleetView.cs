using System.Collections.Concurrent;
using Robinhood.Control;
using Robinhood.Control.Rollout;
using Robinhood.Controller.Control;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Publish;
using Robinhood.V1;

namespace Robinhood.Controller.Dashboard;

/// <summary>What the dashboard shows: every service's latest tick (for a service another replica controls, its latest snapshot) and its recent max/avg utilization.</summary>
public sealed class FleetView
{
    /// <summary>Points of history kept per service (10 minutes at the default 1 s tick).</summary>
    public const int HistoryLength = 600;

    private readonly ConcurrentDictionary<string, ServiceHistory> _services = new(StringComparer.Ordinal);

    /// <summary>A view fed only through <see cref="Record(ServiceTick, DateTimeOffset)"/> and <see cref="Record(WeightSnapshot)"/>.</summary>
    public FleetView()
    {
    }

    /// <summary>
    /// The controller's view: a service this replica does not control shows the snapshots its cache takes in
    /// from Redis; a service the cache forgets leaves it on every replica.
    /// </summary>
    public FleetView(SnapshotCache cache, Ownership ownership)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(ownership);
        cache.Published += snapshots =>
        {
            foreach (var snapshot in snapshots)
            {
                if (!ownership.Owns(snapshot.Service))
                {
                    Record(snapshot);
                }
            }
        };
        cache.Removed += Forget;
    }

    /// <summary>Drops a forgotten service and its history.</summary>
    public void Forget(string service) => _services.TryRemove(service, out _);

    public void Record(ServiceTick tick, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(tick);
        Record(tick.Weights, at, version: 0);
    }

    /// <summary>
    /// For a service another replica controls: its snapshot as it arrives, so every replica shows every
    /// service. A history point per new snapshot, at its computed_at (none without one); a snapshot no newer
    /// than the last is ignored, as the feed hands the same snapshot again at every resync.
    /// </summary>
    public void Record(WeightSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        // A snapshot carries no frozen flag, so a follower shows every service as not frozen.
        Record(SnapshotPublisher.ToWeights(snapshot), snapshot.ComputedAt?.ToDateTimeOffset(), snapshot.Version);
    }

    /// <param name="version">The snapshot's version; 0 for the leader's own tick, which is always recorded.</param>
    private void Record(ServiceWeights weights, DateTimeOffset? at, ulong version)
    {
        var history = _services.GetOrAdd(weights.Service, _ => new ServiceHistory());
        lock (history)
        {
            if (version != 0)
            {
                if (version <= history.Version)
                {
                    return;
                }

                history.Version = version;
            }

            history.Latest = weights;
            if (at is { } point)
            {
                history.Points.Enqueue(new HistoryPoint(point.ToUnixTimeMilliseconds(), ServiceStatistics.Of(weights).MaxOverAverage));
                while (history.Points.Count > HistoryLength)
                {
                    history.Points.Dequeue();
                }
            }
        }
    }

    /// <summary>A consistent copy for the JSON API, services ordered by name.</summary>
    public IReadOnlyList<ServiceView> Read()
    {
        var views = new List<ServiceView>();
        foreach (var (service, history) in _services.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            lock (history)
            {
                // A service is added an instant before its first weights are recorded; skip it until then.
                if (history.Latest is { } latest)
                {
                    views.Add(new ServiceView(
                        service,
                        latest.Rollout.Mode,
                        latest.Rollout.Fraction,
                        latest.Frozen,
                        ServiceStatistics.Of(latest).MaxOverAverage,
                        [.. latest.Endpoints],
                        [.. history.Points]));
                }
            }
        }

        return views;
    }

    private sealed class ServiceHistory
    {
        public ServiceWeights? Latest { get; set; }

        /// <summary>The version of the last snapshot recorded; 0 while only ticks have been.</summary>
        public ulong Version { get; set; }

        public Queue<HistoryPoint> Points { get; } = new();
    }
}

/// <summary>One point of a service's max/avg utilization history.</summary>
public readonly record struct HistoryPoint(long At, double MaxAvg);

/// <summary>A service as the dashboard renders it.</summary>
/// <param name="Mode">The rollout mode (Active on a follower, which sees only the leader's snapshots).</param>
public sealed record ServiceView(
    string Service,
    RolloutMode Mode,
    double Fraction,
    bool Frozen,
    double MaxAvg,
    IReadOnlyList<WeightedEndpoint> Endpoints,
    IReadOnlyList<HistoryPoint> History);
