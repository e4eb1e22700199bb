using k8s.Models;
using Robinhood.Charts.Tests.Helm;

namespace Robinhood.Charts.Tests;

/// <summary>controller.kubernetes.services naming Services of other namespaces: the RBAC membership needs, and nothing more.</summary>
[Collection(HelmCollection.Name)]
public sealed class CrossNamespaceTests(HelmFixture helm)
{
    private RenderedChart Chart => helm.Render(ValueSets.CrossNamespace);

    [Fact]
    public void CrossNamespace_ControllerMayReadEndpointSlicesInEveryNamespaceItServes_OnlyThere()
    {
        var controllerAccount = Chart.Named<V1ServiceAccount>("-controller").Metadata.Name;
        var roles = Chart.All<V1Role>().Where(r => r.Metadata.Name.EndsWith("-controller", StringComparison.Ordinal)).ToList();

        Assert.Equal(["shop", "search"], roles.Where(r => r.Metadata.NamespaceProperty is not null).Select(r => r.Metadata.NamespaceProperty));
        foreach (var role in roles.Where(r => r.Metadata.NamespaceProperty is not null))
        {
            var rule = role.Rules.Single();
            Assert.Equal(["endpointslices"], rule.Resources);
            Assert.Equal(["get", "list", "watch"], rule.Verbs);
            var binding = Chart.All<V1RoleBinding>().Single(b => b.Metadata.NamespaceProperty == role.Metadata.NamespaceProperty);
            Assert.Equal(role.Metadata.Name, binding.RoleRef.Name);
            Assert.Equal((controllerAccount, HelmFixture.Namespace), (binding.Subjects.Single().Name, binding.Subjects.Single().NamespaceProperty));
        }

        // The release namespace's Role (no namespace set: helm installs it there) keeps leader election.
        Assert.Contains(roles.Single(r => r.Metadata.NamespaceProperty is null).Rules, r => r.Resources.Contains("leases"));
    }

    [Fact]
    public void CrossNamespace_ControllerFollowsEachEntryAsWritten()
    {
        var controller = Chart.Named<V1Deployment>("-controller").Spec.Template.Spec.Containers.Single();

        Assert.Equal(["checkout", "shop/cart", "search/query", "shop/checkout"],
            Enumerable.Range(0, 4).Select(i => controller.Env($"Robinhood__Kubernetes__Services__{i}").Value));
    }

    [Fact]
    public void CrossNamespace_NodeAgentsNamePodsOfOtherNamespacesAsTheControllerDoes()
    {
        var agent = Chart.Named<V1DaemonSet>("-agent").Spec.Template.Spec.Containers.Single();

        Assert.Equal("metadata.namespace", agent.Env("Robinhood__Agent__Namespace").ValueFrom.FieldRef.FieldPath);
    }

    [Theory]
    [InlineData("Shop/cart")]
    [InlineData("shop/cart/x")]
    [InlineData("/cart")]
    public void MalformedService_IsRefusedNamingTheValue(string service)
    {
        var result = helm.Helm(["template", HelmFixture.ReleaseName, HelmFixture.ChartPath, .. HelmFixture.RequiredValues,
            "--set", $"controller.kubernetes.services={{{service}}}"]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("/controller/kubernetes/services/0", result.Error, StringComparison.Ordinal);
    }
}
