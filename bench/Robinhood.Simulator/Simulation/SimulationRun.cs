using Robinhood.Control;
using Robinhood.Simulator.Fleet;
using Robinhood.Simulator.Scenarios;
using Robinhood.Simulator.Strategies;

namespace Robinhood.Simulator.Simulation;

/// <summary>Runs one strategy through one scenario on the fleet drawn from a seed.</summary>
public static class SimulationRun
{
    /// <summary>The same <paramref name="seed"/> gives the same fleet, noise and result for every strategy.</summary>
    /// <param name="reportLag">Ticks between what a node did and the strategies seeing its report (1: the previous tick's).</param>
    /// <param name="nodes">The fleet's nodes as given (a description of a real fleet); null to draw them from the seed.</param>
    public static RunResult Execute(
        Scenario scenario,
        string strategy,
        int seed,
        ControlOptions? options = null,
        FleetParameters? parameters = null,
        int reportLag = 1,
        IReadOnlyList<NodeSpec>? nodes = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(reportLag, 1);
        ArgumentNullException.ThrowIfNull(scenario);
        parameters ??= new FleetParameters();
        if (nodes is not null && nodes.Count != scenario.Nodes)
        {
            throw new ArgumentException($"the scenario has {scenario.Nodes} nodes, the fleet {nodes.Count}", nameof(nodes));
        }

        nodes ??= FleetModel.Generate(scenario.Nodes, parameters, new Random(seed));
        var fleet = new FleetModel(nodes, parameters, new Random(unchecked(seed + 1)));
        var router = StrategyCatalog.Create(strategy, new Random(unchecked(seed + 2)), options);
        var watched = scenario.Watched(nodes);
        for (var i = scenario.InitialMembers; i < nodes.Count; i++)
        {
            fleet.Conditions[i].Member = false;
        }

        // Demand that would put the initial members at the scenario's mean CPU if perfectly balanced.
        var baseDemand = nodes.Take(scenario.InitialMembers).Sum(n => n.Capacity * (scenario.Utilization - n.BaseBackground));
        var collector = new MetricsCollector(scenario, nodes, watched);
        var reports = new Queue<IReadOnlyList<EndpointLoad>>(Enumerable.Repeat<IReadOnlyList<EndpointLoad>>([], reportLag));
        var arrivals = new double[nodes.Count];
        for (var t = 0; t < scenario.Ticks; t++)
        {
            scenario.Apply(t, fleet, watched);
            var members = Enumerable.Range(0, nodes.Count).Where(i => fleet.Conditions[i].Member).ToArray();
            var demand = baseDemand * scenario.Demand(t);
            Array.Clear(arrivals);
            router.Route(new RoutingTick(t, demand, members, nodes, fleet.Samples, fleet.LatencyAt), reports.Dequeue(), arrivals);
            fleet.Step(arrivals);
            reports.Enqueue(fleet.Measure());
            collector.Record(t, members, fleet.Samples, demand);
        }

        return collector.Result(strategy);
    }
}
