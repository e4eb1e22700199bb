using MathNet.Numerics.Statistics;
using Robinhood.Simulator.Fleet;
using Robinhood.Simulator.Scenarios;

namespace Robinhood.Simulator.Simulation;

/// <summary>Records every tick of a run and turns it into a <see cref="ScenarioResult"/>.</summary>
public sealed class MetricsCollector
{
    /// <summary>max/avg at or under which a run counts as converged.</summary>
    public const double ConvergedSpread = 1.10;

    private readonly Scenario _scenario;
    private readonly IReadOnlyList<NodeSpec> _nodes;
    private readonly IReadOnlyList<int> _watched;
    private readonly double[] _spread;
    private readonly double[] _p95;
    private readonly double[] _churn;
    private readonly double[,] _deviation;
    private readonly bool[] _watchedOverloaded;
    private double[] _lastShares;
    private long _nodeTicks;
    private long _overloadedNodeTicks;
    private double _arrived;
    private double _dropped;

    public MetricsCollector(Scenario scenario, IReadOnlyList<NodeSpec> nodes, IReadOnlyList<int> watched)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(watched);
        _scenario = scenario;
        _nodes = nodes;
        _watched = watched;
        _spread = new double[scenario.Ticks];
        _p95 = new double[scenario.Ticks];
        _churn = new double[scenario.Ticks];
        _deviation = new double[watched.Count, scenario.Ticks];
        _watchedOverloaded = new bool[scenario.Ticks];
        _lastShares = new double[nodes.Count];
    }

    public void Record(int tick, IReadOnlyList<int> members, IReadOnlyList<NodeSample> samples, double demand)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(samples);
        var cpu = members.Select(m => samples[m].Cpu).ToArray();
        var mean = cpu.Mean();
        _spread[tick] = cpu.Maximum() / mean;
        _p95[tick] = cpu.Quantile(0.95) / mean;

        var shares = new double[_nodes.Count];
        foreach (var m in members)
        {
            shares[m] = demand > 0 ? samples[m].Arrivals / demand : 0;
        }

        _churn[tick] = 0.5 * shares.Zip(_lastShares, (a, b) => Math.Abs(a - b)).Sum();
        _lastShares = shares;

        for (var w = 0; w < _watched.Count; w++)
        {
            _deviation[w, tick] = samples[_watched[w]].Cpu / mean - 1;
            _watchedOverloaded[tick] |= samples[_watched[w]].InFlight > _nodes[_watched[w]].MaxInFlight;
        }

        if (tick < _scenario.WindowStart)
        {
            return;
        }

        foreach (var m in members)
        {
            _nodeTicks++;
            _overloadedNodeTicks += samples[m].InFlight > _nodes[m].MaxInFlight ? 1 : 0;
            _arrived += samples[m].Arrivals;
            _dropped += samples[m].Dropped;
        }
    }

    public RunResult Result(string strategy)
    {
        var window = _scenario.WindowStart..;
        var metrics = new ScenarioResult(
            _scenario.Name,
            strategy,
            Round(_spread[window].Mean()),
            Round(_p95[window].Mean()),
            ConvergenceTicks(),
            Round(Overshoot()),
            Round(_nodeTicks > 0 ? (double)_overloadedNodeTicks / _nodeTicks : 0),
            Round(_churn[window].Mean()),
            Round(_spread[window].Maximum()),
            Round(_arrived > 0 ? _dropped / _arrived : 0),
            RecoveryTicks());
        return new RunResult(metrics, _spread);
    }

    private static double Round(double value) => Math.Round(value, 4);

    private int? ConvergenceTicks()
    {
        var from = _scenario.EventTick;
        var last = _spread.Length;
        while (last > from && _spread[last - 1] <= ConvergedSpread)
        {
            last--;
        }

        return last == _spread.Length ? null : last - from;
    }

    /// <summary>For each watched node: the side of its first error after the event, then its largest swing past the average to the other side.</summary>
    private double Overshoot()
    {
        var from = _scenario.EventTick;
        var worst = 0.0;
        for (var w = 0; w < _watched.Count; w++)
        {
            var first = 0.0;
            for (var t = from + 1; t <= Math.Min(from + 3, _spread.Length - 1); t++)
            {
                first += _deviation[w, t];
            }

            var side = Math.Sign(first);
            for (var t = from + 1; t < _spread.Length; t++)
            {
                worst = Math.Max(worst, -side * _deviation[w, t]);
            }
        }

        return worst;
    }

    private int? RecoveryTicks()
    {
        var from = _scenario.EventTick;
        var over = Array.FindIndex(_watchedOverloaded, from, t => t);
        if (_watched.Count == 0 || over < 0)
        {
            return 0;
        }

        var back = Array.FindIndex(_watchedOverloaded, over, t => !t);
        return back < 0 ? null : back - from;
    }
}
