namespace Robinhood.Control.Tests;

public sealed class ControlOptionsTests
{
    public static TheoryData<Action<ControlOptions>, string, string> BadValues => new()
    {
        { o => o.Signal = (SignalMode)42, "Signal", "must be one of" },
        { o => o.Kp = -1, "Kp", "in [0, 0.6]" },
        { o => o.Kp = 1, "Kp", "in [0, 0.6]" },
        { o => o.Ki = double.NaN, "Ki", "finite" },
        { o => o.Ki = 0.8, "Ki", "in [0, 0.7]" },
        { o => (o.Kp, o.Ki) = (0.5, 0.5), "Ki", "Kp + Ki at most 0.8" },
        { o => o.Kd = 0.3, "Kd", "in [0, 0.2]" },
        { o => o.Deadband = 0.5, "Deadband", "in [0, 0.5)" },
        { o => o.MinWeightRatio = 0, "MinWeightRatio", "in (0, 1]" },
        { o => o.MaxWeightRatio = 0.5, "MaxWeightRatio", "in [1, 100]" },
        { o => o.WarmUp = TimeSpan.FromSeconds(-1), "WarmUp", "must not be negative" },
        { o => o.WarmUpStartRatio = 0, "WarmUpStartRatio", "in (0, 1]" },
        { o => o.StaleAfter = TimeSpan.Zero, "StaleAfter", "must be positive" },
        { o => o.StaleDecay = TimeSpan.FromSeconds(-1), "StaleDecay", "must not be negative" },
        { o => o.StaleWeightRatio = 1.5, "StaleWeightRatio", "in [0, 1]" },
        { o => o.RemoveAfter = TimeSpan.FromSeconds(5), "RemoveAfter", "longer than StaleAfter" },
        { o => o.DrainFor = TimeSpan.FromSeconds(-1), "DrainFor", "must not be negative" },
        { o => o.FreezeStaleRatio = 0, "FreezeStaleRatio", "in (0, 1]" },
        { o => o.Smoothing = 0, "Smoothing", "in (0, 1]" },
        { o => o.CapacitySmoothing = 2, "CapacitySmoothing", "in (0, 1]" },
        { o => o.ChangeGain = double.PositiveInfinity, "ChangeGain", "in [0, 2]" },
        { o => o.ChangeThreshold = 0.5, "ChangeThreshold", "in [1, 100]" },
        { o => o.NoiseBand = 11, "NoiseBand", "in [0, 10]" },
    };

    [Fact]
    public void Validate_Defaults_ReturnsNoMessages() => Assert.Empty(new ControlOptions().Validate());

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Validate_BadValue_OneMessageNamingKeyAndRule(Action<ControlOptions> spoil, string key, string rule)
    {
        var options = new ControlOptions();
        spoil(options);

        var message = Assert.Single(options.Validate("Robinhood:Control:Services:checkout"));

        Assert.StartsWith($"Robinhood:Control:Services:checkout:{key} ", message, StringComparison.Ordinal);
        Assert.Contains(rule, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SeveralBadValues_OneMessageEach()
    {
        var options = new ControlOptions { Kp = -1, Ki = -1, Smoothing = 0 };

        Assert.Equal(3, options.Validate().Count);
    }
}
