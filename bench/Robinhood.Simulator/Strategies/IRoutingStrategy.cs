using Robinhood.Control;

namespace Robinhood.Simulator.Strategies;

/// <summary>A way of spreading one tick's requests over the service's members.</summary>
public interface IRoutingStrategy
{
    string Name { get; }

    /// <summary>
    /// Spreads <see cref="RoutingTick.Demand"/> requests over the members into <paramref name="arrivals"/>
    /// (indexed by node, zeroed by the caller). <paramref name="reports"/> are the agents' reports of the
    /// previous tick (one-tick lag), only from members whose agent is alive.
    /// </summary>
    void Route(RoutingTick tick, IReadOnlyList<EndpointLoad> reports, Span<double> arrivals);
}
