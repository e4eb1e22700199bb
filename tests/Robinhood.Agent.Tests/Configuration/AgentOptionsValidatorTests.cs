using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Robinhood.Agent.Configuration;

namespace Robinhood.Agent.Tests.Configuration;

public sealed class AgentOptionsValidatorTests
{
    private static readonly Dictionary<string, string?> Valid = new()
    {
        ["Robinhood:Agent:Service"] = "web",
        ["Robinhood:Agent:Endpoint"] = "10.0.0.5:8080",
    };

    [Theory]
    [InlineData("Robinhood:Agent:Service")]
    [InlineData("Robinhood:Agent:Endpoint")]
    public async Task StartAsync_RequiredKeyMissing_RefusesToStartNamingTheKey(string key)
    {
        var settings = new Dictionary<string, string?>(Valid) { [key] = null };
        using var host = BuildHost(settings);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains($"{key} is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddRobinhoodAgent_ControllerConfigured_BindsTheTopLevelControllerKey()
    {
        using var host = BuildHost(new Dictionary<string, string?>(Valid) { ["Robinhood:Controller"] = "http://controller.robinhood:7000" });

        var options = host.Services.GetRequiredService<IOptions<AgentOptions>>().Value;

        Assert.Equal(("http://controller.robinhood:7000", "web", "10.0.0.5:8080"), (options.Controller, options.Service, options.Endpoint));
    }

    [Fact]
    public void AddRobinhoodAgent_NothingButRequiredKeys_UsesTheDocumentedDefaults()
    {
        using var host = BuildHost(Valid);

        var options = host.Services.GetRequiredService<IOptions<AgentOptions>>().Value;

        Assert.Equal(("http://127.0.0.1:7000", 0u, null, TimeSpan.FromSeconds(1)), (options.Controller, options.MaxInFlight, options.InFlightUrl, options.ReportInterval));
    }

    [Theory]
    [InlineData("Service", "web service", "Robinhood:Agent:Service may contain only [A-Za-z0-9._/-] (got \" \")")]
    [InlineData("Endpoint", "10.0.0.5", "Robinhood:Agent:Endpoint must be host:port")]
    [InlineData("Endpoint", "10.0.0.5:0", "Robinhood:Agent:Endpoint port must be a decimal number in 1..65535 (got \"0\")")]
    [InlineData("Endpoint", "a#b:80", "Robinhood:Agent:Endpoint host must be a DNS name")]
    [InlineData("Endpoint", "999.999.999.999:80", "Robinhood:Agent:Endpoint host that looks like an IPv4 address")]
    [InlineData("Controller", "127.0.0.1:7000", "Robinhood:Controller '127.0.0.1:7000' must be an absolute http")]
    [InlineData("TokenFile", "/nonexistent/token", "Robinhood:Agent:TokenFile '/nonexistent/token' does not exist")]
    public void Validate_MalformedValue_FailsNamingTheKeyAndTheRule(string property, string value, string expected)
    {
        var options = new AgentOptions { Service = "web", Endpoint = "10.0.0.5:8080" };
        typeof(AgentOptions).GetProperty(property)!.SetValue(options, value);

        var result = new AgentOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.5:8080")]
    [InlineData("web-0.web.default.svc:8080")]
    [InlineData("[fd00::5]:8080")]
    public void Validate_WellFormedSettings_Succeeds(string endpoint)
    {
        var options = new AgentOptions { Service = "shop/web", Endpoint = endpoint, InFlightUrl = new Uri("http://127.0.0.1:8080/inflight") };

        Assert.True(new AgentOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public async Task StartAsync_NodeModeWithoutNodeName_RefusesToStartNamingTheKey()
    {
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["Robinhood:Agent:Mode"] = "Node",
            ["Robinhood:Agent:KubernetesHost"] = "http://127.0.0.1:1",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Robinhood:Agent:NodeName is required in Node mode", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Robinhood:Agent:Service", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NodeModeWithNodeName_NeedsNoServiceOrEndpoint()
    {
        var options = new AgentOptions { Mode = AgentMode.Node, NodeName = "node-1" };

        Assert.True(new AgentOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal("robinhood.io/service", options.ServiceLabel);
    }

    [Theory]
    [InlineData("ServiceLabel", "robinhood.io/", "Robinhood:Agent:ServiceLabel 'robinhood.io/' must be a Kubernetes label key")]
    [InlineData("KubernetesHost", "kubernetes:443", "Robinhood:Agent:KubernetesHost 'kubernetes:443' must be an absolute http")]
    public void Validate_NodeModeMalformedValue_FailsNamingTheKeyAndTheRule(string property, string value, string expected)
    {
        var options = new AgentOptions { Mode = AgentMode.Node, NodeName = "node-1" };
        typeof(AgentOptions).GetProperty(property)!.SetValue(options, value);

        var result = new AgentOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    private static IHost BuildHost(IDictionary<string, string?> settings)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLogging();
        builder.Services.AddRobinhoodAgent(builder.Configuration);
        return builder.Build();
    }
}
