using Robinhood.Control;

namespace Robinhood.Simulator.Strategies;

/// <summary>
/// The gRFC A58 estimate at its best: weight = qps / utilization from each endpoint's latest report, every
/// tick, with no blackout, no expiry and no scheduler quantization (what an independent harness measured
/// robinhood against). Memoryless: it lands near balance in one step and forgets noise at once, but it
/// feeds a stalled node whose CPU falls. Endpoints that have not reported get the mean.
/// </summary>
public sealed class A58Idealized : IRoutingStrategy
{
    private readonly Dictionary<string, double> _ratio = [];

    public string Name => "a58-ideal";

    public void Route(RoutingTick tick, IReadOnlyList<EndpointLoad> reports, Span<double> arrivals)
    {
        ArgumentNullException.ThrowIfNull(tick);
        ArgumentNullException.ThrowIfNull(reports);
        foreach (var r in reports)
        {
            if (r.CpuUtilization > 0 && r.RequestsPerSecond > 0)
            {
                _ratio[r.Endpoint] = r.RequestsPerSecond / r.CpuUtilization;
            }
        }

        var weights = new double[tick.Members.Count];
        double known = 0, sum = 0;
        for (var k = 0; k < weights.Length; k++)
        {
            if (_ratio.TryGetValue(tick.Nodes[tick.Members[k]].Endpoint, out var w))
            {
                weights[k] = w;
                known++;
                sum += w;
            }
        }

        var mean = known > 0 ? sum / known : 1;
        double total = 0;
        for (var k = 0; k < weights.Length; k++)
        {
            weights[k] = weights[k] > 0 ? weights[k] : mean;
            total += weights[k];
        }

        for (var k = 0; k < weights.Length; k++)
        {
            arrivals[tick.Members[k]] = tick.Demand * weights[k] / total;
        }
    }
}
