using Robinhood.V1;

namespace Robinhood.Proto.Tests;

public sealed class ServiceNameTests
{
    [Theory]
    [InlineData("web")]
    [InlineData("team/checkout-api.v2_blue")]
    public void Check_AllowedCharacters_Accepted(string service) => Assert.Null(ServiceName.Check(service));

    [Fact]
    public void Check_253Characters_AcceptedAnd254Refused()
    {
        Assert.Null(ServiceName.Check(new string('s', 253)));
        var refusal = ServiceName.Check(new string('s', 254));
        Assert.Equal(RefusalReason.TooLong, refusal?.Reason);
        Assert.Contains("at most 253", refusal?.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", RefusalReason.Empty)]
    [InlineData("a#b", RefusalReason.Characters)]
    [InlineData("a b", RefusalReason.Characters)]
    [InlineData("é", RefusalReason.Characters)]
    public void Check_BadName_RefusedNamingTheField(string service, RefusalReason reason)
    {
        var refusal = ServiceName.Check(service, "services[3]");
        Assert.Equal(reason, refusal?.Reason);
        Assert.StartsWith("services[3] ", refusal?.Message, StringComparison.Ordinal);
    }
}
