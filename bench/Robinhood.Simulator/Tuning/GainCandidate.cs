using Robinhood.Control;
using Robinhood.Simulator.Simulation;

namespace Robinhood.Simulator.Tuning;

/// <summary>One point of the gain sweep and how it scored across the scenarios.</summary>
/// <param name="Score">Lower is better; see <see cref="GainTuner.ScoreOf"/>.</param>
public sealed record GainCandidate(ControlOptions Options, double Score, IReadOnlyList<ScenarioResult> Results)
{
    /// <summary>The tuned keys and their values, in the order printed (ControlOptions names).</summary>
    public IReadOnlyList<(string Key, double Value)> Gains =>
    [
        (nameof(ControlOptions.Kp), Options.Kp),
        (nameof(ControlOptions.Ki), Options.Ki),
        (nameof(ControlOptions.Kd), Options.Kd),
        (nameof(ControlOptions.Deadband), Options.Deadband),
        (nameof(ControlOptions.Smoothing), Options.Smoothing),
        (nameof(ControlOptions.CapacitySmoothing), Options.CapacitySmoothing),
        (nameof(ControlOptions.ChangeThreshold), Options.ChangeThreshold),
    ];
}
