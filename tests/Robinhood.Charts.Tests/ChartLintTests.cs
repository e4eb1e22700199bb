using Robinhood.Charts.Tests.Helm;

namespace Robinhood.Charts.Tests;

[Collection(HelmCollection.Name)]
public sealed class ChartLintTests(HelmFixture helm)
{
    [Theory]
    [MemberData(nameof(ValueSets.All), MemberType = typeof(ValueSets))]
    public void Lint_Strict_PassesForEveryValueSet(string? valueSet)
    {
        string[] args = ["lint", "--strict", HelmFixture.ChartPath, "--namespace", HelmFixture.Namespace, .. HelmFixture.RequiredValues];
        if (valueSet is not null)
        {
            args = [.. args, "--values", HelmFixture.ValuesPath(valueSet)];
        }

        var result = helm.Helm(args);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("0 chart(s) failed", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ValueSets.All), MemberType = typeof(ValueSets))]
    public void Template_RendersTheObjectsADeploymentNeeds(string? valueSet)
    {
        var chart = helm.Render(valueSet);

        foreach (var kind in new[] { "Deployment", "Service", "ConfigMap", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding" })
        {
            Assert.Contains(kind, chart.Kinds);
        }
    }
}
