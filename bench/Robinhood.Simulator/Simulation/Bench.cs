using Robinhood.Control;
using Robinhood.Simulator.Scenarios;
using Robinhood.Simulator.Strategies;

namespace Robinhood.Simulator.Simulation;

/// <summary>Runs strategies through scenarios on both cores; results come back in catalogue order whatever the scheduling.</summary>
public static class Bench
{
    public static IReadOnlyList<RunResult> Run(
        IReadOnlyList<Scenario> scenarios,
        IReadOnlyList<string> strategies,
        int seed,
        ControlOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        ArgumentNullException.ThrowIfNull(strategies);
        var jobs = scenarios.SelectMany(s => strategies.Select(name => (Scenario: s, Strategy: name))).ToArray();
        var results = new RunResult[jobs.Length];

        // Each run owns its randoms, so running in parallel changes nothing in the numbers.
        Parallel.For(0, jobs.Length, i => results[i] = SimulationRun.Execute(jobs[i].Scenario, jobs[i].Strategy, seed, options));
        return results;
    }

    /// <summary>Every strategy of the catalogue.</summary>
    public static IReadOnlyList<RunResult> RunAll(IReadOnlyList<Scenario> scenarios, int seed) =>
        Run(scenarios, StrategyCatalog.Names, seed);
}
