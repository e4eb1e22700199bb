using Robinhood.Simulator.Fleet;

namespace Robinhood.Simulator.Scenarios;

/// <summary>The named scenarios of the simulator (issue 4), in the order they are reported.</summary>
public static class ScenarioCatalog
{
    private const int Fleet = 24;
    private const int Event = 90;
    private const int Ticks = 240;

    public static IReadOnlyList<Scenario> All { get; } =
    [
        Steady(Fleet, Ticks),
        Step(Fleet, Event, Ticks),
        new("join", "4 new nodes join a 24-node fleet at tick 90 (scale-out), demand unchanged", Fleet + 4, Fleet, Ticks, Event, 0.55,
            Constant, (t, f, w) => { if (t == Event) { foreach (var i in w) { f.Conditions[i].Member = true; } } }, Joining),
        new("agent-loss", "4 agents stop reporting at tick 90 for good; at 150 one of those nodes gets +15% background CPU", Fleet, Fleet, 300, Event, 0.55,
            Constant, LoseAgents, EveryFifth),
        IoStall(Fleet, Event, Ticks),
        new("ramp", "diurnal demand: mean CPU swings between 22% and 88% over the run", Fleet, Fleet, Ticks, 0, 0.55,
            t => 1 + (0.6 * Math.Sin(2 * Math.PI * t / Ticks)), NoChange, None),
        new("flash-crowd", "demand jumps from 45% to 81% mean CPU at tick 90 for 60 ticks (new clients)", Fleet, Fleet, Ticks, Event, 0.45,
            t => t is >= Event and < Event + 60 ? 1.8 : 1, NoChange, None),
        new("large-fleet", "1,000 heterogeneous nodes at 55% mean CPU", 1000, 1000, 180, 0, 0.55,
            Constant, NoChange, None),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(s => s.Name)];

    public static Scenario? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    /// <summary>Heterogeneous nodes at 55% mean CPU; nothing happens.</summary>
    public static Scenario Steady(int nodes, int ticks) =>
        new("steady", $"{nodes} heterogeneous nodes at 55% mean CPU, nothing happens", nodes, nodes, ticks, 0, 0.55,
            Constant, NoChange, None);

    /// <summary>The biggest node loses half its capacity at <paramref name="at"/> (a noisy neighbour).</summary>
    public static Scenario Step(int nodes, int at, int ticks) =>
        new("step", $"the biggest node loses half its capacity at tick {at} (noisy neighbour)", nodes, nodes, ticks, at, 0.55,
            Constant, (t, f, w) => { if (t == at) { f.Conditions[w[0]].CapacityFactor = 0.5; } }, Biggest);

    /// <summary>The median node stalls on I/O for 60 ticks from <paramref name="at"/>.</summary>
    public static Scenario IoStall(int nodes, int at, int ticks) =>
        new("io-stall", $"one node stalls on I/O from tick {at} to {at + 60}: a quarter of its throughput, 10× latency, low CPU", nodes, nodes, ticks, at, 0.55,
            Constant, (t, f, w) => f.Conditions[w[0]].Stalled = t >= at && t < at + 60, Median);

    private static double Constant(int tick) => 1;

    private static void NoChange(int tick, FleetModel fleet, IReadOnlyList<int> watched)
    {
    }

    private static void LoseAgents(int tick, FleetModel fleet, IReadOnlyList<int> watched)
    {
        if (tick == Event)
        {
            foreach (var i in watched)
            {
                fleet.Conditions[i].Reporting = false;
            }
        }

        if (tick == Event + 60)
        {
            fleet.Conditions[watched[0]].ExtraBackground = 0.15;
        }
    }

    private static IReadOnlyList<int> None(IReadOnlyList<NodeSpec> nodes) => [];

    private static IReadOnlyList<int> Biggest(IReadOnlyList<NodeSpec> nodes) =>
        [Enumerable.Range(0, nodes.Count).MaxBy(i => nodes[i].Capacity)];

    private static IReadOnlyList<int> Median(IReadOnlyList<NodeSpec> nodes) =>
        [Enumerable.Range(0, nodes.Count).OrderBy(i => nodes[i].Capacity).ElementAt(nodes.Count / 2)];

    private static IReadOnlyList<int> Joining(IReadOnlyList<NodeSpec> nodes) => [.. Enumerable.Range(Fleet, nodes.Count - Fleet)];

    private static IReadOnlyList<int> EveryFifth(IReadOnlyList<NodeSpec> nodes) => [2, 7, 12, 17];
}
