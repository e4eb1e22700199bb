using MathNet.Numerics.Distributions;
using Robinhood.Control;

namespace Robinhood.Simulator.Strategies;

/// <summary>Each request to a uniformly random member: a multinomial draw per tick.</summary>
public sealed class RandomPick(Random random) : IRoutingStrategy
{
    public string Name => "random";

    public void Route(RoutingTick tick, IReadOnlyList<EndpointLoad> reports, Span<double> arrivals)
    {
        ArgumentNullException.ThrowIfNull(tick);
        var p = new double[tick.Members.Count];
        Array.Fill(p, 1.0);
        var counts = Multinomial.Sample(random, p, (int)Math.Round(tick.Demand));
        for (var k = 0; k < counts.Length; k++)
        {
            arrivals[tick.Members[k]] = counts[k];
        }
    }
}
