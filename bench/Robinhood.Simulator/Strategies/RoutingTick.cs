using Robinhood.Simulator.Fleet;

namespace Robinhood.Simulator.Strategies;

/// <summary>What a strategy may know when it routes one tick.</summary>
/// <param name="Demand">Requests to place this tick.</param>
/// <param name="Members">Indices of the nodes in membership, ascending.</param>
/// <param name="Last">True state of every node over the previous tick (a client's own in-flight counts).</param>
/// <param name="LatencyAt">Latency a node shows right now at a given requests/s (what a client observes live).</param>
public sealed record RoutingTick(
    int Tick,
    double Demand,
    IReadOnlyList<int> Members,
    IReadOnlyList<NodeSpec> Nodes,
    IReadOnlyList<NodeSample> Last,
    Func<int, double, double> LatencyAt);
