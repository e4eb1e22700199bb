using Robinhood.Control;

namespace Robinhood.Simulator.Strategies;

/// <summary>
/// Power of two choices, least request (Envoy's LEAST_REQUEST, Databricks' client P2C): each request
/// goes to the one of two random members with fewer requests in flight. In-flight starts each tick at
/// the true count; within the tick requests complete at rate N/W, where W is the latency the node
/// shows live at the rate it is being sent (so piling onto a node slows it at once, as in reality).
/// </summary>
public sealed class PowerOfTwoLeastRequest(Random random) : IRoutingStrategy
{
    /// <summary>Seconds of last tick's rate that the live rate estimate starts from.</summary>
    private const double RatePrior = 0.1;

    public string Name => "p2c-least-request";

    public void Route(RoutingTick tick, IReadOnlyList<EndpointLoad> reports, Span<double> arrivals)
    {
        ArgumentNullException.ThrowIfNull(tick);
        var members = tick.Members;
        var inFlight = new double[members.Count];
        var touched = new double[members.Count];
        var counts = new int[members.Count];
        for (var k = 0; k < members.Count; k++)
        {
            inFlight[k] = tick.Last[members[k]].InFlight;
        }

        var requests = (int)Math.Round(tick.Demand);
        for (var r = 0; r < requests; r++)
        {
            var now = (r + 0.5) / requests;
            var a = random.Next(members.Count);
            var b = members.Count > 1 ? random.Next(members.Count - 1) : a;
            if (members.Count > 1 && b >= a)
            {
                b++;
            }

            var pick = Current(a, now) <= Current(b, now) ? a : b;
            inFlight[pick] += 1;
            counts[pick]++;
        }

        for (var k = 0; k < members.Count; k++)
        {
            arrivals[members[k]] = counts[k];
        }

        double Current(int k, double now)
        {
            var node = members[k];
            var rate = ((tick.Last[node].Arrivals * RatePrior) + counts[k]) / (RatePrior + now);
            var latency = Math.Max(tick.LatencyAt(node, rate), 1e-3);
            inFlight[k] *= Math.Exp(-(now - touched[k]) / latency);
            touched[k] = now;
            return inFlight[k];
        }
    }
}
