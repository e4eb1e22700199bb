using Robinhood.Control;
using Robinhood.Simulator.Fleet;
using Robinhood.Simulator.Strategies;

namespace Robinhood.Simulator.Tests.Strategies;

/// <summary>A small hand-made fleet for driving one strategy tick by tick.</summary>
internal sealed class StrategyTestFleet
{
    public StrategyTestFleet(params double[] capacities)
    {
        Nodes = [.. capacities.Select((c, i) => new NodeSpec($"ep-{i:D4}", "zone-a", 4, c, 0.04, 32, 0))];
        Samples = new NodeSample[capacities.Length];
        Members = [.. Enumerable.Range(0, capacities.Length)];
    }

    public IReadOnlyList<NodeSpec> Nodes { get; }

    public NodeSample[] Samples { get; }

    public int[] Members { get; set; }

    public double[] Route(IRoutingStrategy strategy, int tick, double demand, IReadOnlyList<EndpointLoad>? reports = null)
    {
        var arrivals = new double[Nodes.Count];
        var routing = new RoutingTick(tick, demand, Members, Nodes, Samples, (node, rate) => Samples[node].Latency > 0 ? Samples[node].Latency : Nodes[node].ServiceTime);
        strategy.Route(routing, reports ?? [], arrivals);
        return arrivals;
    }

    /// <summary>A report for node <paramref name="node"/> that says it runs <paramref name="qps"/> at <paramref name="cpu"/>.</summary>
    public EndpointLoad Report(int node, double cpu, double qps) =>
        new(Nodes[node].Endpoint, "zone-a", cpu, 0, Nodes[node].MaxInFlight, qps);
}
