using System.Text;
using k8s.Models;
using Robinhood.Charts.Tests.Helm;

namespace Robinhood.Charts.Tests;

/// <summary>The chart installs safe as it stands: NetworkPolicies on, Redis with a password, images from a named registry.</summary>
[Collection(HelmCollection.Name)]
public sealed class SafeDefaultsTests(HelmFixture helm)
{
    private RenderedChart Chart => helm.Render(null);

    [Fact]
    public void Default_RedisReachableOnlyFromTheController()
    {
        var policy = Chart.Named<V1NetworkPolicy>("-redis");
        var controllerPod = Chart.Named<V1Deployment>("-controller").Spec.Template.Metadata.Labels;

        var from = policy.Spec.Ingress.Single().FromProperty.Single();
        Assert.Null(from.NamespaceSelector);
        Assert.All(from.PodSelector.MatchLabels, l => Assert.Equal(l.Value, controllerPod[l.Key]));
    }

    [Fact]
    public void Default_ControllerGrpcOnlyFromTheNamespacesItServes()
    {
        var chart = helm.Render(ValueSets.CrossNamespace);
        var grpc = chart.Named<V1NetworkPolicy>("-controller").Spec.Ingress.Single(r => r.Ports.Any(p => p.Port.Value == "grpc"));

        var namespaces = grpc.FromProperty.Select(p => p.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]).ToList();
        Assert.Equal([HelmFixture.Namespace, "shop", "search", "frontend"], namespaces);
    }

    [Fact]
    public void Default_RedisRequiresAGeneratedPasswordTheControllerSends()
    {
        var redis = Chart.Named<V1Deployment>("-redis").Spec.Template.Spec.Containers.Single();
        var controller = Chart.Named<V1Deployment>("-controller").Spec.Template.Spec.Containers.Single();
        var secret = Chart.Named<V1Secret>("-redis-auth");

        Assert.Contains("--requirepass", redis.Args);
        Assert.Equal("$(REDIS_PASSWORD)", redis.Args[redis.Args.IndexOf("--requirepass") + 1]);
        foreach (var container in new[] { redis, controller })
        {
            var reference = container.Env("REDIS_PASSWORD").ValueFrom.SecretKeyRef;
            Assert.Equal(secret.Metadata.Name, reference.Name);
            Assert.True(Encoding.UTF8.GetString(secret.Data[reference.Key]).Length >= 32);
        }

        Assert.EndsWith(",password=$(REDIS_PASSWORD)", controller.Env("ConnectionStrings__Redis").Value, StringComparison.Ordinal);
        Assert.Equal("$(REDIS_PASSWORD)", redis.Env("REDISCLI_AUTH").Value);
    }

    [Fact]
    public void ExistingRedisPasswordSecret_IsUsedAndNoneGenerated()
    {
        var chart = helm.Render(ValueSets.Production);
        var controller = chart.Named<V1Deployment>("-controller").Spec.Template.Spec.Containers.Single();

        Assert.Equal("robinhood-redis-password", controller.Env("REDIS_PASSWORD").ValueFrom.SecretKeyRef.Name);
        Assert.DoesNotContain(chart.All<V1Secret>(), s => s.Metadata.Name.EndsWith("-redis-auth", StringComparison.Ordinal));
    }

    [Fact]
    public void NoRegistry_IsRefusedNamingTheValue()
    {
        var result = helm.Helm("template", HelmFixture.ReleaseName, HelmFixture.ChartPath, "--namespace", HelmFixture.Namespace);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("image.registry is required", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReleaseWorkflow_PublishesEveryImageWithPublishContainer()
    {
        var workflow = File.ReadAllText(RepositoryRoot.Combine(".github", "workflows", "release.yaml"));

        foreach (var project in new[] { "controller/Robinhood.Controller", "agent/Robinhood.Agent", "client/Robinhood.Proxy" })
        {
            Assert.Contains($"dotnet publish {project}", workflow, StringComparison.Ordinal);
        }

        Assert.Contains("-t:PublishContainer", workflow, StringComparison.Ordinal);
    }
}
