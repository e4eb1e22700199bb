using Robinhood.Client.Picking;

namespace Robinhood.Client.Tests.Picking;

public class SlotSequenceTests
{
    [Fact]
    public void Apportion_ReducibleWeights_DividesByGcd()
    {
        Assert.Equal([1, 2, 3, 0], SlotSequence.Apportion([500, 1000, 1500, 0]));
    }

    [Fact]
    public void Apportion_CycleTooLong_FillsMaxSlotsAndStarvesNone()
    {
        var weights = Enumerable.Range(0, 100).Select(i => (uint)(1000 + (i * 37 % 997))).ToArray();
        weights[0] = 1;

        var counts = SlotSequence.Apportion(weights);

        Assert.Equal(SlotSequence.MaxSlots, counts.Sum());
        Assert.All(counts, c => Assert.True(c >= 1));
        var total = weights.Sum(w => (double)w);
        for (var i = 1; i < weights.Length; i++)
        {
            Assert.InRange(counts[i], (SlotSequence.MaxSlots * weights[i] / total) - 1, (SlotSequence.MaxSlots * weights[i] / total) + 1);
        }
    }

    [Fact]
    public void Build_Weights_SpreadsEachItemEvenly()
    {
        Assert.Equal([0, 1, 2], SlotSequence.Build([2, 2, 2]));
        Assert.Equal([0, 2, 1, 2], SlotSequence.Build([1, 1, 2]));
    }
}
