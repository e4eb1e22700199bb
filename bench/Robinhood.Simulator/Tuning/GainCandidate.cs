using Robinhood.Control;

namespace Robinhood.Simulator.Tuning;

/// <summary>One point of the gain sweep and how it scored across the scenarios.</summary>
/// <param name="Score">Lower is better; see <see cref="GainTuner.ScoreOf"/>.</param>
public sealed record GainCandidate(double Kp, double Ki, double Kd, double Deadband, double Score, IReadOnlyList<Simulation.ScenarioResult> Results)
{
    /// <summary>The library defaults with these gains.</summary>
    public ControlOptions ToOptions() => new() { Kp = Kp, Ki = Ki, Kd = Kd, Deadband = Deadband };
}
