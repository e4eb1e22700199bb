using Robinhood.Controller.Ingest;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Ingest;

public sealed class ReportValidatorTests
{
    [Theory]
    [InlineData("web")]
    [InlineData("team/checkout-api.v2_blue")]
    public void ValidateService_AllowedCharacters_Accepted(string service) =>
        Assert.Null(ReportValidator.ValidateService(service, "service"));

    [Fact]
    public void ValidateService_253Characters_AcceptedAnd254Refused()
    {
        Assert.Null(ReportValidator.ValidateService(new string('s', 253), "service"));
        Assert.Contains("at most 253", ReportValidator.ValidateService(new string('s', 254), "service"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.1:80")]
    [InlineData("pod-1.web.default.svc:8080")]
    [InlineData("[2001:db8::1]:443")]
    public void Validate_WellFormedEndpoint_Accepted(string endpoint) =>
        Assert.Null(ReportValidator.Validate(new LoadReport { Service = "s", Endpoint = endpoint }));

    [Theory]
    [InlineData("[zz]:80")]
    [InlineData(":80")]
    [InlineData("10.0.0.1:0")]
    [InlineData("10.0.0.1:+80")]
    public void Validate_MalformedEndpoint_RefusedNamingEndpoint(string endpoint) =>
        Assert.StartsWith("endpoint ", ReportValidator.Validate(new LoadReport { Service = "s", Endpoint = endpoint }), StringComparison.Ordinal);

    [Fact]
    public void Validate_ControlCharacterInZone_Refused() =>
        Assert.StartsWith("zone ", ReportValidator.Validate(new LoadReport { Service = "s", Endpoint = "h:1", Zone = "a\nb" }), StringComparison.Ordinal);
}
