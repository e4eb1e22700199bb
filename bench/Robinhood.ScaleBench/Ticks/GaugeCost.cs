using System.Diagnostics;
using Prometheus;
using Robinhood.ScaleBench.Load;

namespace Robinhood.ScaleBench.Ticks;

/// <summary>
/// What one labelled gauge update costs the way TickMetrics does it (<c>WithLabels(...).Set</c>, a lookup
/// per call) against a child looked up once and kept, on a private registry with the fleet's label values.
/// </summary>
/// <param name="Series">Series updated per round: four state series per endpoint, like robinhood_controller_endpoint_state.</param>
public sealed record GaugeCost(int Series, double WithLabelsNanoseconds, double CachedChildNanoseconds)
{
    private const int Rounds = 5;

    public static GaugeCost Measure(int endpoints, FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var gauge = Metrics.WithCustomRegistry(Metrics.NewCustomRegistry())
            .CreateGauge("scale_bench_probe", "Probe for the cost of labelled updates.", "service", "endpoint", "state");
        string[] states = ["WARMING", "ACTIVE", "STALE", "DRAINING"];
        var services = Enumerable.Range(0, endpoints).Select(layout.Service).ToArray();
        var names = Enumerable.Range(0, endpoints).Select(FleetLayout.Endpoint).ToArray();
        var children = new Gauge.Child[endpoints * states.Length];
        for (var i = 0; i < endpoints; i++)
        {
            for (var s = 0; s < states.Length; s++)
            {
                children[(i * states.Length) + s] = gauge.WithLabels(services[i], names[i], states[s]);
            }
        }

        var lookup = double.MaxValue;
        var cached = double.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < endpoints; i++)
            {
                for (var s = 0; s < states.Length; s++)
                {
                    gauge.WithLabels(services[i], names[i], states[s]).Set(round);
                }
            }

            lookup = Math.Min(lookup, Stopwatch.GetElapsedTime(started).TotalNanoseconds / children.Length);
            started = Stopwatch.GetTimestamp();
            foreach (var child in children)
            {
                child.Set(round);
            }

            cached = Math.Min(cached, Stopwatch.GetElapsedTime(started).TotalNanoseconds / children.Length);
        }

        return new GaugeCost(children.Length, lookup, cached);
    }
}
