using Robinhood.Simulator.Scenarios;
using Robinhood.Simulator.Simulation;
using Robinhood.Simulator.Tuning;

namespace Robinhood.Simulator.Tests.Tuning;

public class GainTunerTests
{
    private static ScenarioResult Result(double maxAvg, int? converge = 5, double overload = 0) =>
        new("steady", "robinhood", maxAvg, maxAvg, converge, 0, overload, 0.001, maxAvg, 0, 0);

    [Fact]
    public void ScoreOf_RanksImbalanceOverloadAndNonConvergence()
    {
        var good = GainTuner.ScoreOf([Result(1.02)]);

        Assert.True(good < GainTuner.ScoreOf([Result(1.05)]));
        Assert.True(good < GainTuner.ScoreOf([Result(1.02, overload: 0.01)]));
        Assert.True(good < GainTuner.ScoreOf([Result(1.02, converge: null)]));
    }

    [Fact]
    public void Render_PrintsTheBestSetAsHelmValuesAndJson()
    {
        var steady = new[] { ScenarioCatalog.Find("steady")! };
        var defaults = GainTuner.Defaults(42, steady);
        var better = defaults with { Options = new() { Kp = 0.5, Ki = 0.05 }, Score = defaults.Score - 0.01 };

        var text = TuneReport.Render([better, defaults], defaults, 42, TimeSpan.FromSeconds(1));

        Assert.Contains("controller:\n  control:\n    kp: 0.5\n    ki: 0.05\n", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("\"Robinhood\": { \"Control\": { \"Kp\": 0.5, \"Ki\": 0.05,", text, StringComparison.Ordinal);
        Assert.Contains("| steady |", text, StringComparison.Ordinal);
    }
}
