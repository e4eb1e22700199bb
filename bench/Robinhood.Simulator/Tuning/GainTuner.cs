using Robinhood.Control;
using Robinhood.Simulator.Scenarios;
using Robinhood.Simulator.Simulation;
using Robinhood.Simulator.Strategies;

namespace Robinhood.Simulator.Tuning;

/// <summary>
/// Sweeps the PID gains of the real library over a grid, runs robinhood through every scenario but
/// large-fleet with each set, and ranks the sets by <see cref="ScoreOf"/>.
/// </summary>
public static class GainTuner
{
    public static IReadOnlyList<double> KpGrid { get; } = [0.1, 0.2, 0.3, 0.5, 0.8];

    public static IReadOnlyList<double> KiGrid { get; } = [0, 0.02, 0.05, 0.1, 0.2];

    public static IReadOnlyList<double> KdGrid { get; } = [0, 0.1, 0.3];

    public static IReadOnlyList<double> DeadbandGrid { get; } = [0, 0.005, 0.01, 0.02];

    /// <summary>Scenarios the tuner scores on: all but large-fleet (same physics as steady, 40× the cost).</summary>
    public static IReadOnlyList<Scenario> Scenarios { get; } = [.. ScenarioCatalog.All.Where(s => s.Name != "large-fleet")];

    /// <summary>Every candidate, best first (ties keep grid order, so the result is deterministic).</summary>
    public static IReadOnlyList<GainCandidate> Sweep(int seed, IReadOnlyList<Scenario>? scenarios = null)
    {
        scenarios ??= Scenarios;
        var grid = (from kp in KpGrid
                    from ki in KiGrid
                    from kd in KdGrid
                    from db in DeadbandGrid
                    select new ControlOptions { Kp = kp, Ki = ki, Kd = kd, Deadband = db }).ToArray();
        var candidates = new GainCandidate[grid.Length];
        Parallel.For(0, grid.Length, i =>
        {
            var o = grid[i];
            var results = scenarios.Select(s => SimulationRun.Execute(s, "robinhood", seed, o).Metrics).ToArray();
            candidates[i] = new GainCandidate(o.Kp, o.Ki, o.Kd, o.Deadband, ScoreOf(results), results);
        });
        return [.. candidates.Select((c, i) => (c, i)).OrderBy(x => x.c.Score).ThenBy(x => x.i).Select(x => x.c)];
    }

    /// <summary>
    /// Mean over scenarios of: (max/avg − 1) + in-flight overload + 0.001 × ticks to converge (200 if never)
    /// + 0.1 × churn. Imbalance dominates; overload is as bad as the same share of imbalance; slow
    /// convergence and churn break ties.
    /// </summary>
    public static double ScoreOf(IReadOnlyList<ScenarioResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return results.Average(r =>
            (r.MaxAvg - 1) + r.InFlightOverload + (0.001 * (r.ConvergenceTicks ?? 200)) + (0.1 * r.WeightChurn));
    }

    /// <summary>The library defaults scored the same way, to compare the best set against.</summary>
    public static GainCandidate Defaults(int seed, IReadOnlyList<Scenario>? scenarios = null)
    {
        var o = new ControlOptions();
        var results = (scenarios ?? Scenarios).Select(s => SimulationRun.Execute(s, StrategyCatalog.Names[^1], seed, o).Metrics).ToArray();
        return new GainCandidate(o.Kp, o.Ki, o.Kd, o.Deadband, ScoreOf(results), results);
    }
}
