using Robinhood.Control;
using Robinhood.Simulator.Scenarios;
using Robinhood.Simulator.Simulation;

namespace Robinhood.Simulator.Sweep;

/// <summary>What one strategy did on one generated fleet: steady state, a half-capacity step and an I/O stall.</summary>
/// <param name="SteadyMaxAvg">Mean max/avg over <see cref="FleetSweep.SteadyTicks"/> ticks after convergence.</param>
/// <param name="SteadyWorst">Highest max/avg of any of those ticks.</param>
/// <param name="StepTicks">Ticks from the biggest node losing half its capacity until max/avg stays ≤ 1.10; null if never.</param>
/// <param name="StallTicks">Ticks from a node stalling on I/O until its in-flight is back under its limit; null if never.</param>
public sealed record SweepResult(
    GeneratedFleet Fleet,
    string Strategy,
    double SteadyMaxAvg,
    double SteadyWorst,
    int? StepTicks,
    int? StallTicks);

/// <summary>Runs strategies over generated fleets, on both cores; results in fleet, then strategy order.</summary>
public static class FleetSweep
{
    /// <summary>Ticks before the steady window: every strategy's start-up and robinhood's warm-up.</summary>
    public const int Converged = 100;

    /// <summary>Length of the steady window.</summary>
    public const int SteadyTicks = 1000;

    public static IReadOnlyList<string> Strategies { get; } = ["round-robin", "a58-wrr", "a58-ideal", "robinhood"];

    public static IReadOnlyList<SweepResult> Run(IReadOnlyList<GeneratedFleet> fleets, IReadOnlyList<string>? strategies = null, ControlOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(fleets);
        strategies ??= Strategies;
        var jobs = fleets.SelectMany(f => strategies.Select(s => (Fleet: f, Strategy: s))).ToArray();
        var results = new SweepResult[jobs.Length];
        Parallel.For(0, jobs.Length, i => results[i] = Run(jobs[i].Fleet, jobs[i].Strategy, options));
        return results;
    }

    public static SweepResult Run(GeneratedFleet fleet, string strategy, ControlOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        var n = fleet.Endpoints;
        var steady = Execute(ScenarioCatalog.Steady(n, Converged + SteadyTicks) with { WindowStart = Converged }, fleet, strategy, options);
        var step = Execute(ScenarioCatalog.Step(n, Converged, Converged + 100), fleet, strategy, options);
        var stall = Execute(ScenarioCatalog.IoStall(n, Converged, Converged + 100), fleet, strategy, options);
        return new SweepResult(fleet, strategy, steady.MaxAvg, steady.WorstMaxAvg, step.ConvergenceTicks, stall.InFlightRecoveryTicks);
    }

    private static ScenarioResult Execute(Scenario scenario, GeneratedFleet fleet, string strategy, ControlOptions? options) =>
        SimulationRun.Execute(scenario, strategy, fleet.Seed, options, fleet.Parameters, fleet.ReportLag).Metrics;
}
