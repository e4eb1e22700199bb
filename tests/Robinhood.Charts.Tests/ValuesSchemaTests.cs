using Robinhood.Charts.Tests.Helm;

namespace Robinhood.Charts.Tests;

/// <summary>values.schema.json refuses bad values at install time, naming the value.</summary>
[Collection(HelmCollection.Name)]
public sealed class ValuesSchemaTests(HelmFixture helm)
{
    [Theory]
    [InlineData("invalid/replicas-string.yaml", "/controller/replicas", "want integer")]
    [InlineData("invalid/negative-gain.yaml", "/controller/control/ki", "minimum")]
    [InlineData("invalid/service-gain-out-of-range.yaml", "/controller/control/services/checkout/kp", "maximum")]
    [InlineData("invalid/misspelt-key.yaml", "/controller", "'replica' not allowed")]
    [InlineData("invalid/unknown-signal.yaml", "/controller/control/signal", "Max")]
    [InlineData("invalid/bad-timespan.yaml", "/controller/control/staleAfter", "pattern")]
    public void Template_BadValues_AreRefusedNamingTheField(string valueSet, string field, string rule)
    {
        var result = helm.Template(valueSet);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"'{field}'", result.Error, StringComparison.Ordinal);
        Assert.Contains(rule, result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Output.Trim());
    }

    [Fact]
    public void Template_StaticTokenWithoutSecret_IsRefused()
    {
        var result = helm.Helm(["template", HelmFixture.ReleaseName, HelmFixture.ChartPath, .. HelmFixture.RequiredValues, "--set", "auth.mode=StaticToken"]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("auth.staticToken.grantsSecret is required when auth.mode is StaticToken", result.Error, StringComparison.Ordinal);
    }
}
