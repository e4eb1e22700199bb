using System.Collections.Concurrent;
using Robinhood.Control;
using Robinhood.Control.Persistence;
using Robinhood.Control.Rollout;
using Robinhood.Controller.Control;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Persistence;
using Robinhood.Controller.Publish;
using Robinhood.V1;

namespace Robinhood.Controller.Dashboard;

/// <summary>
/// What the dashboard shows: every service's latest tick (for a service another replica controls, its latest
/// snapshot), its recent max/avg utilization, what happened to its endpoints (<see cref="ServiceEvent"/>) and, on
/// demand, the loop's terms.
/// </summary>
public sealed class FleetView
{
    /// <summary>Points of history kept per service (10 minutes at the default 1 s tick).</summary>
    public const int HistoryLength = 600;

    /// <summary>Events kept per service, newest last.</summary>
    public const int EventsLength = 200;

    /// <summary>An ACTIVE endpoint whose weight moves by more than this share in one tick marks a step.</summary>
    public const double StepChange = 0.2;

    private readonly ConcurrentDictionary<string, ServiceHistory> _services = new(StringComparer.Ordinal);
    private readonly Ownership? _ownership;
    private readonly Fleet? _fleet;
    private readonly FollowedState? _followed;

    /// <summary>A view fed only through <see cref="Record(ServiceTick, DateTimeOffset)"/> and <see cref="Record(WeightSnapshot)"/>.</summary>
    public FleetView()
    {
    }

    /// <summary>
    /// The controller's view: a service this replica does not control shows the snapshots its cache takes in from
    /// Redis, with the mode, the overrides and the loop's terms of its stored state as last read (<see cref="FollowedState"/>);
    /// a service the cache forgets leaves it on every replica.
    /// </summary>
    public FleetView(SnapshotCache cache, Ownership ownership, Fleet fleet, FollowedState followed)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(ownership);
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(followed);
        _ownership = ownership;
        _fleet = fleet;
        _followed = followed;
        cache.Published += snapshots =>
        {
            foreach (var snapshot in snapshots)
            {
                if (!ownership.Owns(snapshot.Service))
                {
                    Record(snapshot.Message);
                }
            }
        };
        cache.Removed += Forget;
    }

    /// <summary>Drops a forgotten service and its history.</summary>
    public void Forget(string service) => _services.TryRemove(service, out _);

    /// <summary>Another replica controls the service: what this one knows of it comes from Redis.</summary>
    private bool Follows(string service) => _ownership is { } o && !o.Owns(service);

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

            if (at is { } point)
            {
                var ms = point.ToUnixTimeMilliseconds();
                if (history.Latest is { } previous)
                {
                    ServiceEvents.Between(previous, weights, ms, history.AddEvent);
                }

                Keep(history.Points, new HistoryPoint(ms, ServiceStatistics.Of(weights).MaxOverAverage), HistoryLength);
            }

            // After the events: the copy rewrites the buffer the previous weights are in.
            history.Latest = weights.CopyTo(ref history.Buffer);
        }
    }

    private static void Keep<T>(Queue<T> queue, T item, int length)
    {
        queue.Enqueue(item);
        while (queue.Count > length)
        {
            queue.Dequeue();
        }
    }

    /// <summary>Most services one read of the JSON API returns (<c>/api/services?limit=</c>).</summary>
    public const int MaxPage = 500;

    /// <summary>A consistent copy of every service, in <see cref="ServiceOrder"/>.</summary>
    public IReadOnlyList<ServiceView> Read() => Read(0, int.MaxValue).Services;

    /// <summary>
    /// A consistent copy of the services from <paramref name="offset"/> on, at most <paramref name="limit"/> of them,
    /// in <see cref="ServiceOrder"/> (stable between reads); and how many there are in all.
    /// </summary>
    public (IReadOnlyList<ServiceView> Services, int Total) Read(int offset, int limit)
    {
        var views = new List<ServiceView>();
        var all = _services.ToArray();
        Array.Sort(all, (a, b) => ServiceOrder.Instance.Compare(a.Key, b.Key));
        foreach (var (service, history) in all.Skip(offset).Take(limit))
        {
            lock (history)
            {
                // A service is added an instant before its first weights are recorded; skip it until then.
                if (history.Latest is { } latest)
                {
                    var (rollout, endpoints) = Follows(service) && _followed?.Get(service) is { } state
                        ? (state.Rollout, WithOverrides(latest.Endpoints, state))
                        : (latest.Rollout, [.. latest.Endpoints]);
                    var shard = _ownership?.Map.Of(service);
                    views.Add(new ServiceView(
                        service,
                        rollout.Mode,
                        rollout.Fraction,
                        latest.Frozen,
                        ServiceStatistics.Of(latest).MaxOverAverage,
                        endpoints,
                        [.. history.Points],
                        [.. history.Events],
                        shard,
                        shard is { } s ? _ownership!.OwnerAddress(s) : null,
                        !Follows(service)));
                }
            }
        }

        return (views, all.Length);
    }

    /// <summary>
    /// Every endpoint's capacity estimate and the terms of the loop's last step: this replica's own for a service it
    /// controls, else from its owner's stored state (read from Redis first when this replica has not read it within
    /// <see cref="FollowedState.Interest"/>). Null for a service this replica has no state of.
    /// </summary>
    public async Task<IReadOnlyList<EndpointDiagnostics>?> DiagnoseAsync(string service, CancellationToken cancellationToken)
    {
        // Only services this view shows are read from Redis: an unknown name asks for nothing.
        var state = !Follows(service) ? _fleet?.Capture(service)
            : _followed is { } followed && _services.ContainsKey(service) ? await followed.GetAsync(service, cancellationToken).ConfigureAwait(false)
            : null;
        return state is null ? null : [.. state.Endpoints.Select(EndpointDiagnostics.Of)];
    }

    /// <summary>Another replica's snapshot endpoints with the computed weight and the override of its stored state.</summary>
    private static WeightedEndpoint[] WithOverrides(IReadOnlyList<WeightedEndpoint> endpoints, ServiceControllerState state)
    {
        var byName = state.Endpoints.ToDictionary(e => e.Endpoint, StringComparer.Ordinal);
        return [.. endpoints.Select(e => byName.TryGetValue(e.Endpoint, out var s)
            ? e with { Computed = s.Computed, Pinned = s.PinnedWeight, Drained = s.Drained }
            : e)];
    }

    private sealed class ServiceHistory
    {
        public ServiceHistory() => AddEvent = e => Keep(Events, e, EventsLength);

        /// <summary>Keeps an event; made once, so recording a tick allocates no delegate.</summary>
        public Action<ServiceEvent> AddEvent { get; }

        /// <summary>The latest weights, over <see cref="Buffer"/> (rewritten by the next Record, under the history's lock).</summary>
        public ServiceWeights? Latest { get; set; }

        public WeightedEndpoint[] Buffer = [];

        /// <summary>The version of the last snapshot recorded; 0 while only ticks have been.</summary>
        public ulong Version { get; set; }

        public Queue<HistoryPoint> Points { get; } = new();

        public Queue<ServiceEvent> Events { get; } = new();
    }
}

/// <summary>One point of a service's max/avg utilization history.</summary>
public readonly record struct HistoryPoint(long At, double MaxAvg);

/// <summary>A service as the dashboard renders it.</summary>
/// <param name="Mode">The rollout mode (for a service another replica controls, as of the last read of its stored state).</param>
/// <param name="Shard">The service's shard; null in a view without shards.</param>
/// <param name="Leader">The advertised gRPC address of the replica that controls the service (leads its shard); null while unknown.</param>
/// <param name="Controlled">Whether this replica controls the service.</param>
public sealed record ServiceView(
    string Service,
    RolloutMode Mode,
    double Fraction,
    bool Frozen,
    double MaxAvg,
    IReadOnlyList<WeightedEndpoint> Endpoints,
    IReadOnlyList<HistoryPoint> History,
    IReadOnlyList<ServiceEvent> Events,
    int? Shard,
    string? Leader,
    bool Controlled);

/// <summary>One endpoint's capacity estimate and the terms of the loop's last step, as the dashboard shows them on demand.</summary>
/// <param name="Signal">The smoothed utilization signal the loop used (CPU, or in-flight when that is higher).</param>
/// <param name="CapacityEstimate">Requests per second at 100% CPU, estimated from requests_per_second / CPU; null without one.</param>
/// <param name="FeedForward">Log of the capacity estimate relative to the fleet's.</param>
/// <param name="Error">Relative error (setpoint − signal) / setpoint after the deadband.</param>
public sealed record EndpointDiagnostics(
    string Endpoint,
    EndpointPhase Phase,
    double Signal,
    double? CapacityEstimate,
    double FeedForward,
    double Error,
    double Proportional,
    double Integral,
    double Derivative,
    uint Computed,
    uint Published,
    bool Drained,
    uint? PinnedWeight)
{
    public static EndpointDiagnostics Of(EndpointControlState e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(
            e.Endpoint,
            e.Drained ? EndpointPhase.Draining : e.Phase,
            e.Signal.IsSet ? e.Signal.Value : 0,
            e.LogCapacity.IsSet ? Math.Exp(e.LogCapacity.Value) : null,
            e.FeedForward,
            e.Error,
            e.Proportional,
            e.Integral,
            e.Derivative,
            e.Computed,
            e.Published,
            e.Drained,
            e.PinnedWeight);
    }
}
