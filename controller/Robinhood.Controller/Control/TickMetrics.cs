using Robinhood.Control;

namespace Robinhood.Controller.Control;

/// <summary>Exports each tick's per-endpoint gauges, and removes the series of endpoints that are gone.</summary>
public sealed class TickMetrics
{
    private static readonly string[] States = [.. Enum.GetValues<EndpointPhase>().Select(p => p.ToString().ToUpperInvariant())];
    private static readonly string[] Terms = ["error", "proportional", "integral", "derivative", "feed_forward"];
    private readonly Dictionary<string, HashSet<string>> _exported = new(StringComparer.Ordinal);

    public void Export(ServiceTick tick)
    {
        ArgumentNullException.ThrowIfNull(tick);
        var service = tick.Weights.Service;
        var current = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in tick.Weights.Endpoints)
        {
            current.Add(e.Endpoint);
            ControllerMetrics.EndpointWeight.WithLabels(service, e.Endpoint).Set(e.Weight);
            ControllerMetrics.EndpointUtilization.WithLabels(service, e.Endpoint).Set(e.Utilization);
            var state = e.Phase.ToString().ToUpperInvariant();
            foreach (var s in States)
            {
                ControllerMetrics.EndpointState.WithLabels(service, e.Endpoint, s).Set(s == state ? 1 : 0);
            }
        }

        foreach (var d in tick.Diagnostics)
        {
            double[] values = [d.Error, d.Proportional, d.Integral, d.Derivative, d.FeedForward];
            for (var i = 0; i < Terms.Length; i++)
            {
                ControllerMetrics.PidTerm.WithLabels(service, d.Endpoint, Terms[i]).Set(values[i]);
            }
        }

        var stats = ServiceStatistics.Of(tick.Weights);
        ControllerMetrics.MaxAvgUtilization.WithLabels(service).Set(stats.MaxOverAverage);
        ControllerMetrics.Setpoint.WithLabels(service).Set(double.IsFinite(tick.Setpoint) ? tick.Setpoint : 0);
        ControllerMetrics.Frozen.WithLabels(service).Set(tick.Weights.Frozen ? 1 : 0);

        if (_exported.TryGetValue(service, out var previous))
        {
            foreach (var gone in previous.Where(e => !current.Contains(e)))
            {
                ControllerMetrics.EndpointWeight.RemoveLabelled(service, gone);
                ControllerMetrics.EndpointUtilization.RemoveLabelled(service, gone);
                foreach (var s in States)
                {
                    ControllerMetrics.EndpointState.RemoveLabelled(service, gone, s);
                }

                foreach (var term in Terms)
                {
                    ControllerMetrics.PidTerm.RemoveLabelled(service, gone, term);
                }
            }
        }

        _exported[service] = current;
    }
}
