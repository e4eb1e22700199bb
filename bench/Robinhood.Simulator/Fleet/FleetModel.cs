using MathNet.Numerics.Distributions;
using Robinhood.Control;

namespace Robinhood.Simulator.Fleet;

/// <summary>
/// A discrete-time model of one service's endpoints, one tick per second. Every random draw
/// (background load, measurement noise) is made for every node every tick whatever the arrivals,
/// so two strategies on the same seed see exactly the same fleet.
/// </summary>
public sealed class FleetModel
{
    private readonly FleetParameters _parameters;
    private readonly NodeCondition[] _conditions;
    private readonly NodeSample[] _samples;
    private readonly double[] _background;
    private readonly Normal _walk;
    private readonly ContinuousUniform _noise;

    public FleetModel(IReadOnlyList<NodeSpec> nodes, FleetParameters parameters, Random random)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        Nodes = nodes;
        _parameters = parameters;
        _conditions = [.. nodes.Select(_ => new NodeCondition())];
        _samples = new NodeSample[nodes.Count];
        _background = [.. nodes.Select(n => n.BaseBackground)];
        _walk = new Normal(0, parameters.BackgroundWalk, random);
        _noise = new ContinuousUniform(-parameters.MeasurementNoise, parameters.MeasurementNoise, random);
    }

    public IReadOnlyList<NodeSpec> Nodes { get; }

    public IReadOnlyList<NodeCondition> Conditions => _conditions;

    /// <summary>The true state of every node over the last tick.</summary>
    public IReadOnlyList<NodeSample> Samples => _samples;

    /// <summary>Draws <paramref name="count"/> nodes: cores × per-core speed gives the capacity spread.</summary>
    public static IReadOnlyList<NodeSpec> Generate(int count, FleetParameters parameters, Random random)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var cores = new DiscreteUniform(parameters.MinCores, parameters.MaxCores, random);
        var speed = new ContinuousUniform(parameters.MinSpeed, parameters.MaxSpeed, random);
        var background = new ContinuousUniform(parameters.MinBackground, parameters.MaxBackground, random);
        var nodes = new NodeSpec[count];
        for (var i = 0; i < count; i++)
        {
            var c = cores.Sample();
            var s = speed.Sample();
            nodes[i] = new NodeSpec(
                Endpoint: $"ep-{i:D4}",
                Zone: $"zone-{(char)('a' + (i % 3))}",
                Cores: c,
                Capacity: c * s * parameters.CapacityPerCore,
                ServiceTime: parameters.ServiceTime / s,
                MaxInFlight: (uint)c * parameters.MaxInFlightPerCore,
                BaseBackground: background.Sample());
        }

        return nodes;
    }

    /// <summary>Serves one tick of <paramref name="arrivals"/> (requests per node) and updates <see cref="Samples"/>.</summary>
    public void Step(ReadOnlySpan<double> arrivals)
    {
        for (var i = 0; i < Nodes.Count; i++)
        {
            // Ornstein-Uhlenbeck-like wander around the node's own base background.
            var drift = _parameters.BackgroundReversion * (Nodes[i].BaseBackground - _background[i]);
            _background[i] = Math.Clamp(_background[i] + drift + _walk.Sample(), 0, 0.5);
            _samples[i] = Serve(Nodes[i], _conditions[i], _background[i], _samples[i].Backlog, arrivals[i]);
        }
    }

    /// <summary>
    /// The latency node <paramref name="node"/> would show right now at <paramref name="rate"/> requests/s:
    /// what a client sees in real time, without waiting for a report.
    /// </summary>
    public double LatencyAt(int node, double rate) =>
        Serve(Nodes[node], _conditions[node], _background[node], _samples[node].Backlog, rate).Latency;

    /// <summary>
    /// One node over one tick: CPU left after background serves arrivals plus backlog; what does not fit
    /// waits (up to the queue limit); latency grows as 1/(1−ρ) plus the backlog's wait.
    /// </summary>
    public NodeSample Serve(NodeSpec node, NodeCondition condition, double background, double backlog, double arrivals)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(condition);
        var capacity = node.Capacity * condition.CapacityFactor;
        var busy = Math.Min(1, background + condition.ExtraBackground);
        var throughput = capacity * (1 - busy) * (condition.Stalled ? _parameters.StallThroughput : 1);
        var work = backlog + arrivals;
        var served = Math.Min(work, throughput);
        var queueLimit = node.MaxInFlight * _parameters.QueueLimitFactor;
        var waiting = work - served;
        var dropped = Math.Max(0, waiting - queueLimit);
        waiting -= dropped;
        var cpu = Math.Min(1, busy + (served / capacity));
        var rho = Math.Min(cpu, _parameters.UtilizationCap);
        var serviceTime = node.ServiceTime * (condition.Stalled ? _parameters.StallLatencyFactor : 1);
        var latency = (serviceTime / (1 - rho)) + (served > 0 ? waiting / served : 0);
        // Little's law, N = λW; a node that completes nothing holds its whole queue.
        var inFlight = served > 0 ? served * latency : waiting;
        return new NodeSample(arrivals, cpu, served, latency, inFlight, waiting, dropped);
    }

    /// <summary>
    /// The reports the agents would send for the last tick: CPU sampled with noise, requests/s and in-flight
    /// counted exactly. Only members
    /// whose agent is alive report, but noise is drawn for every node to keep the random stream fixed.
    /// </summary>
    public IReadOnlyList<EndpointLoad> Measure()
    {
        var reports = new List<EndpointLoad>(Nodes.Count);
        for (var i = 0; i < Nodes.Count; i++)
        {
            var cpuNoise = 1 + _noise.Sample();
            if (!_conditions[i].Member || !_conditions[i].Reporting)
            {
                continue;
            }

            var s = _samples[i];
            reports.Add(new EndpointLoad(
                Nodes[i].Endpoint,
                Nodes[i].Zone,
                Math.Clamp(s.Cpu * cpuNoise, 0, 1),
                (uint)Math.Round(s.InFlight),
                Nodes[i].MaxInFlight,
                s.Served));
        }

        return reports;
    }
}
