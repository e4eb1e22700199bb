using Robinhood.Control;
using Robinhood.Simulator.Fleet;
using Robinhood.Simulator.Scenarios;
using Robinhood.Simulator.Simulation;

namespace Robinhood.Simulator.Tuning;

/// <summary>
/// Sweeps the gains of the real library in two stages, running robinhood through every scenario but
/// large-fleet with each set: first the loop (Kp, Ki, Smoothing, CapacitySmoothing), then, around the
/// best of those, the damping and anti-churn settings (Kd, Deadband, ChangeThreshold).
/// </summary>
public static class GainTuner
{
    // The grids span the whole range ControlOptions.Validate accepts as stable (Kp ≤ 0.6, Ki ≤ 0.7,
    // Kp + Ki ≤ 0.8), so the best set is not an artefact of a grid edge; invalid sets are skipped.
    public static IReadOnlyList<double> KpGrid { get; } = [0.05, 0.15, 0.3, 0.45, 0.6];

    public static IReadOnlyList<double> KiGrid { get; } = [0.05, 0.1, 0.2, 0.3, 0.45];

    public static IReadOnlyList<double> SmoothingGrid { get; } = [0.3, 0.6, 1];

    public static IReadOnlyList<double> CapacitySmoothingGrid { get; } = [0.01, 0.02, 0.05, 0.1, 0.2, 0.4];

    public static IReadOnlyList<double> KdGrid { get; } = [0, 0.05, 0.2];

    public static IReadOnlyList<double> DeadbandGrid { get; } = [0, 0.002, 0.005, 0.01];

    public static IReadOnlyList<double> ChangeThresholdGrid { get; } = [3, 4, 6];

    /// <summary>Scenarios the tuner scores on: all but large-fleet (same physics as steady, 40× the cost).</summary>
    public static IReadOnlyList<Scenario> Scenarios { get; } = [.. ScenarioCatalog.All.Where(s => s.Name != "large-fleet")];

    /// <summary>Every candidate of both stages, best first (ties keep grid order, so the result is deterministic).</summary>
    /// <param name="fleet">A fleet like yours: its scenarios on its endpoints instead of the modelled 24 nodes.</param>
    public static IReadOnlyList<GainCandidate> Sweep(int seed, IReadOnlyList<Scenario>? scenarios = null, FleetDescription? fleet = null)
    {
        scenarios ??= fleet?.Scenarios() ?? Scenarios;
        var loop = Score(
            [.. from kp in KpGrid
                from ki in KiGrid
                from sm in SmoothingGrid
                from cs in CapacitySmoothingGrid
                let o = new ControlOptions { Kp = kp, Ki = ki, Smoothing = sm, CapacitySmoothing = cs }
                where o.Validate().Count == 0
                select o],
            seed,
            scenarios,
            fleet);
        var b = loop[0].Options;
        var damping = Score(
            [.. from kd in KdGrid
                from db in DeadbandGrid
                from ct in ChangeThresholdGrid
                where kd != b.Kd || db != b.Deadband || ct != b.ChangeThreshold // already scored in stage one
                select new ControlOptions
                {
                    Kp = b.Kp, Ki = b.Ki, Smoothing = b.Smoothing, CapacitySmoothing = b.CapacitySmoothing,
                    Kd = kd, Deadband = db, ChangeThreshold = ct,
                }],
            seed,
            scenarios,
            fleet);
        return Rank([.. loop, .. damping]);
    }

    /// <summary>The library defaults scored the same way, to compare the best set against.</summary>
    public static GainCandidate Defaults(int seed, IReadOnlyList<Scenario>? scenarios = null, FleetDescription? fleet = null) =>
        Score([new ControlOptions()], seed, scenarios ?? fleet?.Scenarios() ?? Scenarios, fleet)[0];

    /// <summary>
    /// Mean over scenarios of: (max/avg − 1) + in-flight overload + 0.001 × ticks to converge (200 if never)
    /// + 0.1 × churn. Imbalance dominates; overload counts like the same share of imbalance; slow
    /// convergence and churn break ties.
    /// </summary>
    public static double ScoreOf(IReadOnlyList<ScenarioResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return results.Average(r =>
            (r.MaxAvg - 1) + r.InFlightOverload + (0.001 * (r.ConvergenceTicks ?? 200)) + (0.1 * r.WeightChurn));
    }

    private static IReadOnlyList<GainCandidate> Score(IReadOnlyList<ControlOptions> grid, int seed, IReadOnlyList<Scenario> scenarios, FleetDescription? fleet)
    {
        var candidates = new GainCandidate[grid.Count];
        var nodes = fleet?.Nodes();
        Parallel.For(0, grid.Count, i =>
        {
            var results = scenarios.Select(s =>
                SimulationRun.Execute(s, "robinhood", seed, grid[i], fleet?.Parameters, fleet?.ReportLag ?? 1, nodes).Metrics).ToArray();
            candidates[i] = new GainCandidate(grid[i], ScoreOf(results), results);
        });
        return Rank(candidates);
    }

    private static IReadOnlyList<GainCandidate> Rank(IReadOnlyList<GainCandidate> candidates) =>
        [.. candidates.Select((c, i) => (c, i)).OrderBy(x => x.c.Score).ThenBy(x => x.i).Select(x => x.c)];
}
