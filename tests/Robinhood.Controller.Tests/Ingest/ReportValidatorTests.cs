using Robinhood.Controller.Ingest;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Ingest;

public sealed class ReportValidatorTests
{
    [Theory]
    [InlineData("10.0.0.1:80", "10.0.0.1:80")]
    [InlineData("Pod-1.web.default.svc:08080", "pod-1.web.default.svc:8080")]
    [InlineData("[2001:db8:0::1]:443", "[2001:db8::1]:443")]
    public void Validate_WellFormedEndpoint_AcceptedInCanonicalForm(string endpoint, string canonical)
    {
        Assert.Null(ReportValidator.Validate(new LoadReport { Service = "s", Endpoint = endpoint }, out var address));
        Assert.Equal(canonical, address?.Value);
    }

    [Theory]
    [InlineData("[zz]:80", RefusalReason.Host)]
    [InlineData(":80", RefusalReason.Malformed)]
    [InlineData("10.0.0.1:0", RefusalReason.Port)]
    [InlineData("10.0.0.1:+80", RefusalReason.Port)]
    [InlineData("999.999.999.999:80", RefusalReason.Host)]
    public void Validate_MalformedEndpoint_RefusedNamingEndpoint(string endpoint, RefusalReason reason)
    {
        var refusal = ReportValidator.Validate(new LoadReport { Service = "s", Endpoint = endpoint }, out _);
        Assert.Equal(reason, refusal?.Reason);
        Assert.StartsWith("endpoint ", refusal?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ControlCharacterInZone_Refused() =>
        Assert.StartsWith("zone ", ReportValidator.Validate(new LoadReport { Service = "s", Endpoint = "h:1", Zone = "a\nb" }, out _)?.Message, StringComparison.Ordinal);

    [Fact]
    public void Validate_NaNCpu_RefusedAsOutOfRange() =>
        Assert.Equal(RefusalReason.OutOfRange, ReportValidator.Validate(new LoadReport { Service = "s", Endpoint = "h:1", CpuUtilization = double.NaN }, out _)?.Reason);
}
