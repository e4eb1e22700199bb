using Robinhood.V1;

namespace Robinhood.Proto.Tests;

public sealed class RefusalTests
{
    [Fact]
    public void Label_EveryReason_DistinctSnakeCase()
    {
        var labels = Enum.GetValues<RefusalReason>().Select(r => r.Label()).ToList();
        Assert.Equal(labels.Count, labels.Distinct(StringComparer.Ordinal).Count());
        Assert.All(labels, l => Assert.Matches("^[a-z0-9_]+$", l));
    }

    [Fact]
    public void Cut_LongValue_AtMost256CharactersWithoutSplittingASurrogatePair()
    {
        Assert.Equal("short", Refusal.Cut("short"));
        Assert.Equal(Refusal.MaxLength, Refusal.Cut(new string('x', 1_000_000)).Length);

        var emoji = new string('x', 254) + "😀😀";
        var cut = Refusal.Cut(emoji);
        Assert.True(cut.Length <= Refusal.MaxLength);
        Assert.False(char.IsHighSurrogate(cut[^2]));
    }

    [Fact]
    public void Quote_ControlCharactersEscapedAndCut()
    {
        var quoted = Refusal.Quote("a\nb" + new string('x', 1000));
        Assert.StartsWith("\"a\\u000ab", quoted, StringComparison.Ordinal);
        Assert.True(quoted.Length < 100);
        Assert.DoesNotContain('\n', quoted);
    }

    [Fact]
    public void Of_HugeRule_MessageCutTo256() =>
        Assert.Equal(Refusal.MaxLength, Refusal.Of(RefusalReason.Host, "endpoint", new string('r', 10_000)).Message.Length);
}
