using Robinhood.Control.Smoothing;

namespace Robinhood.Control.Tests.Smoothing;

public sealed class TrackingFilterTests
{
    /// <summary>Feeds a level drifting by <paramref name="drift"/> a step (random walk) under uniform ±<paramref name="noise"/>; returns the last gain.</summary>
    private static double GainAfter(double drift, double noise, int samples = 2000)
    {
        var random = new Random(3);
        var filter = default(TrackingFilter);
        double level = 5;
        for (var i = 0; i < samples; i++)
        {
            level += drift * ((random.NextDouble() * 2) - 1);
            filter.Update(level + (noise * ((random.NextDouble() * 2) - 1)), 0.01, 100);
        }

        return filter.Gain;
    }

    [Fact]
    public void Update_FirstSample_SetsTheValue()
    {
        var filter = default(TrackingFilter);

        Assert.True(filter.Update(2.5, 0.1, 4));

        Assert.True(filter.IsSet);
        Assert.Equal(2.5, filter.Value);
    }

    [Fact]
    public void Update_NoisyStillInput_AveragesHard()
    {
        Assert.InRange(GainAfter(drift: 0, noise: 0.03), 0.01, 0.05);
    }

    [Fact]
    public void Update_QuietDriftingInput_FollowsClosely()
    {
        Assert.InRange(GainAfter(drift: 0.01, noise: 0.001), 0.8, 1);
    }

    [Fact]
    public void Update_NoiseAndDriftAlike_GainBetween()
    {
        var gain = GainAfter(drift: 0.01, noise: 0.01);

        Assert.InRange(gain, GainAfter(drift: 0, noise: 0.03), GainAfter(drift: 0.01, noise: 0.001));
    }

    [Fact]
    public void Update_NeverBelowMinGain()
    {
        var filter = default(TrackingFilter);
        for (var i = 0; i < 500; i++)
        {
            filter.Update(i % 2 == 0 ? 1.0 : 1.01, 0.3, 100);
        }

        Assert.True(filter.Gain >= 0.3);
    }

    [Fact]
    public void Update_JumpBeyondNoise_FollowsAtOnce()
    {
        var filter = default(TrackingFilter);
        var random = new Random(5);
        for (var i = 0; i < 200; i++)
        {
            filter.Update(4 + (0.01 * random.NextDouble()), 0.05, 4);
        }

        Assert.True(filter.Update(4 - Math.Log(2), 0.05, 4));
        Assert.Equal(4 - Math.Log(2), filter.Value, 9);
    }
}
