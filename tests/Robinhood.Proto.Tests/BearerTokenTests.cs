using Robinhood.V1;

namespace Robinhood.Proto.Tests;

public sealed class BearerTokenTests
{
    [Theory]
    [InlineData("0123456789abcdef")]
    [InlineData("AZaz09-._~+/AZaz09==")]
    public void Check_Token68OfSixteenOrMore_Accepted(string token) => Assert.Null(BearerToken.Check(token));

    [Fact]
    public void Check_LengthBounds_15And4097Refused_4096Accepted()
    {
        Assert.Equal("16 to 4096 characters (got 15)", BearerToken.Check(new string('t', 15)));
        Assert.Null(BearerToken.Check(new string('t', 4096)));
        Assert.Equal("16 to 4096 characters (got 4097)", BearerToken.Check(new string('t', 4097)));
    }

    [Theory]
    [InlineData("0123456789 abcdef")]
    [InlineData("0123456789abcdef\r\nx")]
    [InlineData("0123456789=abcdef")]
    [InlineData("0123456789abcdéf")]
    public void Check_OutsideToken68_RefusedWithoutQuotingIt(string token)
    {
        var rule = BearerToken.Check(token);
        Assert.StartsWith("only A-Z a-z 0-9 - . _ ~ + /", rule, StringComparison.Ordinal);
        Assert.DoesNotContain("0123456789", rule, StringComparison.Ordinal);
    }
}
