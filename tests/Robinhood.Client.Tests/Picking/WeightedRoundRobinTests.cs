using Robinhood.Client.Picking;

namespace Robinhood.Client.Tests.Picking;

public class WeightedRoundRobinTests
{
    private static readonly string[] Items = ["a", "b", "c", "d"];

    [Fact]
    public void Pick_OneCycle_CountsEqualReducedWeights()
    {
        var picker = new WeightedRoundRobin<string>(Items, [1000, 2000, 3000, 4000], new Random(1), stripes: 1);

        var counts = Count(picker, picker.CycleLength);

        Assert.Equal(10, picker.CycleLength);
        Assert.Equal([1, 2, 3, 4], Items.Select(i => counts.GetValueOrDefault(i)));
    }

    [Theory]
    [InlineData(new uint[] { 1000, 2000, 3000, 4000 })]
    [InlineData(new uint[] { 997, 1013, 1999, 4001 })]
    [InlineData(new uint[] { 100, 100, 100, 9700 })]
    [InlineData(new uint[] { 1, 1, 1, 1 })]
    public void Pick_EveryWindow_StaysWithinTwoPicksOfItsShare(uint[] weights)
    {
        var picker = new WeightedRoundRobin<int>([0, 1, 2, 3], weights, new Random(2), stripes: 1);
        var picks = Enumerable.Range(0, 2 * picker.CycleLength).Select(_ => picker.Pick()).ToArray();
        var total = weights.Sum(w => (double)w);

        var worst = 0.0;
        foreach (var window in new[] { 1, 2, 3, 5, 8, 10, 16, 50, 100, 1000 }.Where(w => w <= picker.CycleLength))
        {
            for (var start = 0; start + window <= picks.Length; start++)
            {
                for (var item = 0; item < weights.Length; item++)
                {
                    var count = 0;
                    for (var i = start; i < start + window; i++)
                    {
                        count += picks[i] == item ? 1 : 0;
                    }

                    worst = Math.Max(worst, Math.Abs(count - (window * weights[item] / total)));
                }
            }
        }

        Assert.True(worst < 2, $"a window strayed {worst:F2} picks from its share");
    }

    [Fact]
    public void Pick_LongRun_MatchesWeightsExactlyPerCycle()
    {
        uint[] weights = [1234, 2345, 3456, 4567];
        var picker = new WeightedRoundRobin<string>(Items, weights, new Random(3), stripes: 1);

        var counts = Count(picker, picker.CycleLength * 3);

        Assert.Equal(weights.Sum(w => (int)w), picker.CycleLength);
        Assert.Equal(weights.Select(w => (int)w * 3), Items.Select(i => counts[i]));
    }

    [Fact]
    public void Pick_ZeroWeight_NeverPicked()
    {
        var picker = new WeightedRoundRobin<string>(Items, [0, 5, 0, 5], new Random(4), stripes: 1);

        var counts = Count(picker, 1000);

        Assert.False(counts.ContainsKey("a"));
        Assert.False(counts.ContainsKey("c"));
        Assert.Equal(500, counts["b"]);
    }

    [Fact]
    public void Constructor_AllWeightsZero_Throws()
    {
        Assert.Throws<ArgumentException>(() => new WeightedRoundRobin<string>(Items, [0, 0, 0, 0], new Random(5)));
    }

    [Fact]
    public void Pick_FirstPickOfFreshPickers_FollowsWeightsNotTheHeaviest()
    {
        uint[] weights = [1000, 2000, 3000, 4000];
        var random = new Random(6);
        var first = new int[4];
        const int Pickers = 4000;
        for (var i = 0; i < Pickers; i++)
        {
            first[new WeightedRoundRobin<int>([0, 1, 2, 3], weights, random, stripes: 1).Pick()]++;
        }

        // Without a random start every fresh picker would send its first request to the same item.
        for (var item = 0; item < 4; item++)
        {
            var expected = Pickers * weights[item] / 10_000.0;
            Assert.InRange(first[item], expected * 0.85, expected * 1.15);
        }
    }

    [Fact]
    public void Pick_TwoClientsWithSameWeights_DoNotMoveInLockStep()
    {
        var random = new Random(8);
        uint[] weights = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
        var items = Enumerable.Range(0, 16).ToArray();
        var sameFirst = 0;
        for (var i = 0; i < 100; i++)
        {
            var one = new WeightedRoundRobin<int>(items, weights, random, stripes: 1);
            var other = new WeightedRoundRobin<int>(items, weights, random, stripes: 1);
            sameFirst += one.Pick() == other.Pick() ? 1 : 0;
        }

        Assert.InRange(sameFirst, 0, 20);
    }

    [Fact]
    public async Task Pick_TwoThreads_TotalStaysExactPerStripeCycle()
    {
        uint[] weights = [1, 2, 3, 4];
        var picker = new WeightedRoundRobin<int>([0, 1, 2, 3], weights, new Random(9), stripes: 2);
        var counts = new int[4];
        const int PerThread = 100_000;

        await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var local = new int[4];
            for (var i = 0; i < PerThread; i++)
            {
                local[picker.Pick()]++;
            }

            for (var item = 0; item < 4; item++)
            {
                Interlocked.Add(ref counts[item], local[item]);
            }
        })));

        // Each stripe is exact per cycle, so the total is off by less than one cycle per stripe.
        for (var item = 0; item < 4; item++)
        {
            var expected = (int)(2 * PerThread * weights[item] / 10);
            Assert.InRange(counts[item], expected - 8, expected + 8);
        }
    }

    private static Dictionary<T, int> Count<T>(WeightedRoundRobin<T> picker, int picks)
        where T : notnull
    {
        var counts = new Dictionary<T, int>();
        for (var i = 0; i < picks; i++)
        {
            var item = picker.Pick();
            counts[item] = counts.GetValueOrDefault(item) + 1;
        }

        return counts;
    }
}
