namespace Robinhood.Simulator.Simulation;

/// <summary>The metrics of one strategy in one scenario, over the scenario's window; one row of results.json.</summary>
/// <param name="MaxAvg">Mean over ticks of max / mean CPU utilization across members (1 = perfect).</param>
/// <param name="P95Avg">Mean over ticks of the 95th percentile / mean CPU utilization.</param>
/// <param name="ConvergenceTicks">Ticks from the disturbance (or tick 0) until max/avg stays ≤ 1.10 to the end; null if it never does.</param>
/// <param name="Overshoot">Largest swing of a disturbed node past the average, to the side opposite its first error (relative).</param>
/// <param name="InFlightOverload">Share of member node-ticks with in-flight above max_in_flight.</param>
/// <param name="WeightChurn">Mean per tick of half the summed change of routing shares (0 = no change, 1 = all moved).</param>
/// <param name="WorstMaxAvg">Highest max/avg of any tick in the window.</param>
/// <param name="DroppedShare">Share of requests refused by full queues.</param>
/// <param name="InFlightRecoveryTicks">Ticks from the disturbance until its nodes' in-flight is back under the limit; 0 if never over, null if never back.</param>
public sealed record ScenarioResult(
    string Scenario,
    string Strategy,
    double MaxAvg,
    double P95Avg,
    int? ConvergenceTicks,
    double Overshoot,
    double InFlightOverload,
    double WeightChurn,
    double WorstMaxAvg,
    double DroppedShare,
    int? InFlightRecoveryTicks);
