using Robinhood.Simulator.Fleet;
using Robinhood.Simulator.Strategies;

namespace Robinhood.Control.Tests;

/// <summary>
/// The simulator's <see cref="FleetModel"/> drawn from a seed and served one interval at a time by a routing
/// strategy, as the simulator runs it: each interval is routed on the reports of the one before.
/// </summary>
internal sealed class SimulatedFleet
{
    /// <summary>Mean CPU the demand gives the fleet when perfectly balanced.</summary>
    public const double MeanCpu = 0.6;

    private readonly double[] _arrivals;
    private IReadOnlyList<EndpointLoad> _reports = [];
    private int _tick;

    /// <param name="joining">A node in the model but out of membership until <see cref="Join"/>.</param>
    public SimulatedFleet(int seed, int nodes, FleetParameters? parameters = null, NodeSpec? joining = null)
    {
        parameters ??= new FleetParameters();
        var drawn = FleetModel.Generate(nodes, parameters, new Random(seed));
        Model = new FleetModel(joining is null ? drawn : [.. drawn, joining], parameters, new Random(unchecked(seed + 1)));
        for (var i = nodes; i < Model.Nodes.Count; i++)
        {
            Model.Conditions[i].Member = false;
        }

        _arrivals = new double[Model.Nodes.Count];
        Demand = drawn.Sum(n => n.Capacity * (MeanCpu - n.BaseBackground));
    }

    public FleetModel Model { get; }

    /// <summary>Requests per second offered to the service.</summary>
    public double Demand { get; private set; }

    /// <summary>Whether the reports carry requests_per_second.</summary>
    public bool ReportRate { get; init; } = true;

    /// <summary>Routes one interval with <paramref name="strategy"/> on the last reports and serves it.</summary>
    /// <returns>Max over mean CPU of the nodes that got traffic.</returns>
    public double Serve(IRoutingStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        var members = Enumerable.Range(0, Model.Nodes.Count).Where(i => Model.Conditions[i].Member).ToArray();
        Array.Clear(_arrivals);
        strategy.Route(new RoutingTick(_tick++, Demand, members, Model.Nodes, Model.Samples, Model.LatencyAt), _reports, _arrivals);
        Model.Step(_arrivals);
        _reports = ReportRate ? Model.Measure() : [.. Model.Measure().Select(r => r with { RequestsPerSecond = 0 })];
        return Imbalance();
    }

    /// <summary>Serves <paramref name="ticks"/> intervals and returns the imbalance of each.</summary>
    public double[] Run(IRoutingStrategy strategy, int ticks)
    {
        var result = new double[ticks];
        for (var i = 0; i < ticks; i++)
        {
            result[i] = Serve(strategy);
        }

        return result;
    }

    /// <summary>Node <paramref name="node"/> starts serving now; the demand grows with the capacity it adds.</summary>
    public void Join(int node)
    {
        var spec = Model.Nodes[node];
        Demand += (AverageCpu() - spec.BaseBackground) * spec.Capacity;
        Model.Conditions[node].Member = true;
    }

    /// <summary>Max over mean CPU of the nodes that got traffic in the last interval.</summary>
    public double Imbalance()
    {
        var busy = Busy().ToList();
        return busy.Count == 0 ? 1 : busy.Max() / busy.Average();
    }

    /// <summary>Mean CPU of the nodes that got traffic in the last interval.</summary>
    public double AverageCpu() => Busy().Average();

    /// <summary>In-flight requests of node <paramref name="node"/> over its max_in_flight, in the last interval.</summary>
    public double InFlightRatio(int node) => Model.Samples[node].InFlight / Model.Nodes[node].MaxInFlight;

    private IEnumerable<double> Busy() => Model.Samples.Where(s => s.Arrivals > 0).Select(s => s.Cpu);
}
