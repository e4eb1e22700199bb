namespace Robinhood.Simulator.Simulation;

/// <summary>One strategy through one scenario: its metrics and its max/avg at every tick (for the charts).</summary>
public sealed record RunResult(ScenarioResult Metrics, IReadOnlyList<double> Spread);
