using Robinhood.Control.Smoothing;

namespace Robinhood.Control.Tests.Smoothing;

public sealed class AdaptiveFilterTests
{
    [Fact]
    public void Update_FirstSample_TakenAsIs()
    {
        var filter = default(AdaptiveFilter);

        filter.Update(0.42, 0.1, 4);

        Assert.True(filter.IsSet);
        Assert.Equal(0.42, filter.Value);
    }

    [Fact]
    public void Update_NoisyConstant_StaysCloserToTruthThanSamples()
    {
        var random = new Random(1);
        var filter = default(AdaptiveFilter);
        double worstSample = 0, worstFiltered = 0;
        for (var i = 0; i < 500; i++)
        {
            var sample = 0.6 * (1 + (0.03 * (random.NextDouble() - 0.5)));
            var jumped = filter.Update(sample, 0.15, 4);
            if (i > 50)
            {
                Assert.False(jumped);
                worstSample = Math.Max(worstSample, Math.Abs(sample - 0.6));
                worstFiltered = Math.Max(worstFiltered, Math.Abs(filter.Value - 0.6));
            }
        }

        Assert.True(worstFiltered < worstSample / 2, $"filtered {worstFiltered}, samples {worstSample}");
    }

    [Fact]
    public void Update_LevelShift_FollowsAtOnce()
    {
        var random = new Random(2);
        var filter = default(AdaptiveFilter);
        for (var i = 0; i < 100; i++)
        {
            filter.Update(0.5 * (1 + (0.03 * (random.NextDouble() - 0.5))), 0.15, 4);
        }

        var jumped = filter.Update(0.9, 0.15, 4);

        Assert.True(jumped);
        Assert.Equal(0.9, filter.Value);
    }

    [Fact]
    public void Reset_AfterSamples_NextSampleStartsAfresh()
    {
        var filter = default(AdaptiveFilter);
        filter.Update(0.2, 0.1, 4);
        filter.Reset();

        filter.Update(0.7, 0.1, 4);

        Assert.Equal(0.7, filter.Value);
    }
}
