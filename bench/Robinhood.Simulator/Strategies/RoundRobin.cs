using Robinhood.Control;

namespace Robinhood.Simulator.Strategies;

/// <summary>Per-request round robin (grpc-dotnet's round_robin): every member gets the same share.</summary>
public sealed class RoundRobin : IRoutingStrategy
{
    public string Name => "round-robin";

    public void Route(RoutingTick tick, IReadOnlyList<EndpointLoad> reports, Span<double> arrivals)
    {
        ArgumentNullException.ThrowIfNull(tick);
        var share = tick.Demand / tick.Members.Count;
        foreach (var m in tick.Members)
        {
            arrivals[m] = share;
        }
    }
}
