using System.Collections.Concurrent;
using Prometheus;
using Robinhood.Control;

namespace Robinhood.Controller.Control;

/// <summary>
/// Exports each tick's per-endpoint gauges, and removes the series of endpoints that are gone.
/// Each endpoint's series are looked up once and kept: a labelled lookup costs far more than a
/// Set, and a tick at 10,000 endpoints sets over 100,000 values. Services may be exported in
/// parallel; one service is exported by one thread at a time.
/// </summary>
public sealed class TickMetrics
{
    private static readonly EndpointPhase[] Phases = Enum.GetValues<EndpointPhase>();
    private static readonly string[] States = [.. Phases.Select(p => p.ToString().ToUpperInvariant())];
    private static readonly string[] Terms = ["error", "proportional", "integral", "derivative", "feed_forward"];
    private readonly ConcurrentDictionary<string, ServiceSeries> _services = new(StringComparer.Ordinal);

    public void Export(ServiceTick tick)
    {
        ArgumentNullException.ThrowIfNull(tick);
        var service = tick.Weights.Service;
        var serviceSeries = _services.GetOrAdd(service, _ => new ServiceSeries());
        var endpoints = serviceSeries.Endpoints;
        var generation = ++serviceSeries.Generation;
        var seen = 0;
        foreach (var e in tick.Weights.Endpoints)
        {
            var series = Series(endpoints, service, e.Endpoint);
            if (series.Seen != generation)
            {
                series.Seen = generation;
                seen++;
            }

            series.Weight.Set(e.Weight);
            series.Utilization.Set(e.Utilization);
            for (var i = 0; i < Phases.Length; i++)
            {
                series.States[i].Set(Phases[i] == e.Phase ? 1 : 0);
            }
        }

        foreach (var d in tick.Diagnostics)
        {
            var terms = Series(endpoints, service, d.Endpoint).Terms;
            terms[0].Set(d.Error);
            terms[1].Set(d.Proportional);
            terms[2].Set(d.Integral);
            terms[3].Set(d.Derivative);
            terms[4].Set(d.FeedForward);
        }

        var stats = ServiceStatistics.Of(tick.Weights);
        ControllerMetrics.MaxAvgUtilization.WithLabels(service).Set(stats.MaxOverAverage);
        ControllerMetrics.Setpoint.WithLabels(service).Set(double.IsFinite(tick.Setpoint) ? tick.Setpoint : 0);
        ControllerMetrics.Frozen.WithLabels(service).Set(tick.Weights.Frozen ? 1 : 0);

        if (endpoints.Count > seen)
        {
            foreach (var (endpoint, series) in endpoints.Where(p => p.Value.Seen != generation).ToList())
            {
                series.Remove();
                endpoints.Remove(endpoint);
            }
        }
    }

    private static EndpointSeries Series(Dictionary<string, EndpointSeries> endpoints, string service, string endpoint)
    {
        if (!endpoints.TryGetValue(endpoint, out var series))
        {
            endpoints[endpoint] = series = new EndpointSeries(service, endpoint);
        }

        return series;
    }

    /// <summary>One service's endpoints and its export count.</summary>
    private sealed class ServiceSeries
    {
        public long Generation;

        public Dictionary<string, EndpointSeries> Endpoints { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>One endpoint's gauge children, kept between ticks.</summary>
    private sealed class EndpointSeries(string service, string endpoint)
    {
        public long Seen { get; set; }

        public Gauge.Child Weight { get; } = ControllerMetrics.EndpointWeight.WithLabels(service, endpoint);

        public Gauge.Child Utilization { get; } = ControllerMetrics.EndpointUtilization.WithLabels(service, endpoint);

        public Gauge.Child[] States { get; } = [.. TickMetrics.States.Select(s => ControllerMetrics.EndpointState.WithLabels(service, endpoint, s))];

        public Gauge.Child[] Terms { get; } = [.. TickMetrics.Terms.Select(t => ControllerMetrics.PidTerm.WithLabels(service, endpoint, t))];

        public void Remove()
        {
            Weight.Remove();
            Utilization.Remove();
            foreach (var child in States.Concat(Terms))
            {
                child.Remove();
            }
        }
    }
}
