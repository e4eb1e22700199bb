using System.Collections.Concurrent;
using Prometheus;
using Robinhood.Control;
using Robinhood.Controller.Leadership;

namespace Robinhood.Controller.Control;

/// <summary>
/// The per-endpoint and per-service gauges of the latest tick. A tick only keeps its result
/// (<see cref="Record"/>); the gauges are set when Prometheus scrapes, from the latest tick of each
/// service and the terms of its last control step. A tick at 10,000 endpoints would otherwise set over 100,000 values every second for a
/// scrape that reads them every 15–30 s. Series of endpoints and services that are gone are removed
/// at the same time, and a shard's when this replica no longer owns it (its new owner exports them).
/// </summary>
public sealed class TickMetrics : IShardWork, IDisposable
{
    private static readonly EndpointPhase[] Phases = Enum.GetValues<EndpointPhase>();
    private static readonly string[] States = [.. Phases.Select(p => p.ToString().ToUpperInvariant())];
    private static readonly string[] Terms = ["error", "proportional", "integral", "derivative", "feed_forward"];
    private readonly ConcurrentDictionary<string, KeptTick> _latest = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServiceSeries> _series = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, byte> _owned = new();
    private readonly Fleet _fleet;
    private readonly ShardMap _map;
    private bool _disposed;

    public TickMetrics(Fleet fleet, ShardMap map)
    {
        _fleet = fleet;
        _map = map;
        // The registry offers no way to unregister; a disposed instance's callback does nothing.
        Metrics.DefaultRegistry.AddBeforeCollectCallback(Export);
    }

    /// <summary>Keeps a copy of a service's latest tick for the next scrape, in a buffer reused from tick to tick.</summary>
    public void Record(ServiceTick tick)
    {
        ArgumentNullException.ThrowIfNull(tick);
        var kept = _latest.GetOrAdd(tick.Weights.Service, static _ => new KeptTick());
        lock (kept)
        {
            kept.Tick = tick with { Weights = tick.Weights.CopyTo(ref kept.Buffer) };
        }
    }

    public void Start(OwnedShard shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        _owned[shard.Shard] = 0;
    }

    public void Stop(int shard) => _owned.TryRemove(shard, out _);

    /// <summary>A forgotten service: its series go at the next scrape, its snapshot counter at once.</summary>
    public void Forget(string service)
    {
        _latest.TryRemove(service, out _);
        ControllerMetrics.Snapshots.RemoveLabelled(service);
    }

    /// <summary>Sets every gauge from the latest ticks; called by the registry before each collection.</summary>
    public void Export()
    {
        // Concurrent scrapes take turns: the kept series are not thread-safe.
        lock (_series)
        {
            if (_disposed)
            {
                return;
            }

            foreach (var (service, kept) in _latest)
            {
                if (!_owned.ContainsKey(_map.Of(service)))
                {
                    _latest.TryRemove(service, out _);
                    continue;
                }

                if (!_series.TryGetValue(service, out var series))
                {
                    _series[service] = series = new ServiceSeries(service);
                }

                var diagnostics = _fleet.Diagnostics(service);
                lock (kept)
                {
                    // Null only for an instant, while the service's first Record runs.
                    if (kept.Tick is { } tick)
                    {
                        series.Export(tick, diagnostics);
                    }
                }
            }

            foreach (var service in _series.Keys.Where(s => !_latest.ContainsKey(s)).ToList())
            {
                _series[service].Remove();
                _series.Remove(service);
            }
        }
    }

    /// <summary>Removes this instance's series; its collect callback does nothing from now on.</summary>
    public void Dispose()
    {
        lock (_series)
        {
            _disposed = true;
            _latest.Clear();
            foreach (var series in _series.Values)
            {
                series.Remove();
            }

            _series.Clear();
        }
    }

    /// <summary>A service's latest tick as this instance keeps it; the tick's Record and a scrape take turns on it.</summary>
    private sealed class KeptTick
    {
        public WeightedEndpoint[] Buffer = [];

        public ServiceTick? Tick { get; set; }
    }

    /// <summary>One service's gauges: its own, and each endpoint's, kept between scrapes (a labelled lookup costs far more than a Set).</summary>
    private sealed class ServiceSeries(string service)
    {
        private readonly Dictionary<string, EndpointSeries> _endpoints = new(StringComparer.Ordinal);
        private readonly Gauge.Child _maxAvg = ControllerMetrics.MaxAvgUtilization.WithLabels(service);
        private readonly Gauge.Child _setpoint = ControllerMetrics.Setpoint.WithLabels(service);
        private readonly Gauge.Child _frozen = ControllerMetrics.Frozen.WithLabels(service);
        private readonly Gauge.Child _controlledShare = ControllerMetrics.ControlledShare.WithLabels(service);
        private long _generation;

        public void Export(ServiceTick tick, IReadOnlyList<EndpointControlState> diagnostics)
        {
            var generation = ++_generation;
            var seen = 0;
            foreach (var e in tick.Weights.Endpoints)
            {
                var series = Endpoint(e.Endpoint);
                if (series.Seen != generation)
                {
                    series.Seen = generation;
                    seen++;
                }

                series.Weight.Set(e.Weight);
                series.Computed.Set(e.Computed);
                series.Utilization.Set(e.Utilization);
                for (var i = 0; i < Phases.Length; i++)
                {
                    series.States[i].Set(Phases[i] == e.Phase ? 1 : 0);
                }
            }

            foreach (var d in diagnostics)
            {
                var terms = Endpoint(d.Endpoint).Terms;
                terms[0].Set(d.Error);
                terms[1].Set(d.Proportional);
                terms[2].Set(d.Integral);
                terms[3].Set(d.Derivative);
                terms[4].Set(d.FeedForward);
            }

            _maxAvg.Set(ServiceStatistics.Of(tick.Weights).MaxOverAverage);
            _setpoint.Set(double.IsFinite(tick.Setpoint) ? tick.Setpoint : 0);
            _frozen.Set(tick.Weights.Frozen ? 1 : 0);
            _controlledShare.Set(tick.Weights.Rollout.ControlledShare);

            if (_endpoints.Count > seen)
            {
                foreach (var (endpoint, series) in _endpoints.Where(p => p.Value.Seen != generation).ToList())
                {
                    series.Remove();
                    _endpoints.Remove(endpoint);
                }
            }
        }

        public void Remove()
        {
            foreach (var series in _endpoints.Values)
            {
                series.Remove();
            }

            _endpoints.Clear();
            _maxAvg.Remove();
            _setpoint.Remove();
            _frozen.Remove();
            _controlledShare.Remove();
        }

        private EndpointSeries Endpoint(string endpoint)
        {
            if (!_endpoints.TryGetValue(endpoint, out var series))
            {
                _endpoints[endpoint] = series = new EndpointSeries(service, endpoint);
            }

            return series;
        }
    }

    /// <summary>One endpoint's gauge children.</summary>
    private sealed class EndpointSeries(string service, string endpoint)
    {
        public long Seen { get; set; }

        public Gauge.Child Weight { get; } = ControllerMetrics.EndpointWeight.WithLabels(service, endpoint);

        public Gauge.Child Utilization { get; } = ControllerMetrics.EndpointUtilization.WithLabels(service, endpoint);

        public Gauge.Child Computed { get; } = ControllerMetrics.EndpointComputedWeight.WithLabels(service, endpoint);

        public Gauge.Child[] States { get; } = [.. TickMetrics.States.Select(s => ControllerMetrics.EndpointState.WithLabels(service, endpoint, s))];

        public Gauge.Child[] Terms { get; } = [.. TickMetrics.Terms.Select(t => ControllerMetrics.PidTerm.WithLabels(service, endpoint, t))];

        public void Remove()
        {
            Weight.Remove();
            Utilization.Remove();
            Computed.Remove();
            foreach (var child in States.Concat(Terms))
            {
                child.Remove();
            }
        }
    }
}
