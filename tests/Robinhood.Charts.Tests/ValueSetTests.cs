using k8s.Models;
using Robinhood.Charts.Tests.Helm;

namespace Robinhood.Charts.Tests;

/// <summary>What each non-default value set changes in the rendered objects.</summary>
[Collection(HelmCollection.Name)]
public sealed class ValueSetTests(HelmFixture helm)
{
    [Fact]
    public void ExternalRedis_ReadsTheConnectionStringFromASecretAndRunsNoRedis()
    {
        var chart = helm.Render(ValueSets.ExternalRedis);
        var controller = chart.Named<V1Deployment>("-controller").Spec.Template.Spec.Containers.Single();

        Assert.DoesNotContain(chart.All<V1Deployment>(), d => d.Metadata.Name.EndsWith("-redis", StringComparison.Ordinal));
        var reference = controller.Env("ConnectionStrings__Redis").ValueFrom.SecretKeyRef;
        var secret = chart.Named<V1Secret>("-redis");
        Assert.Equal(secret.Metadata.Name, reference.Name);
        Assert.StartsWith("redis.example.internal:6380", secret.StringData[reference.Key], StringComparison.Ordinal);
    }

    [Fact]
    public void ExternalRedis_FollowsTheListedServicesAndMountsEachStaticTokenWhereItIsUsed()
    {
        var chart = helm.Render(ValueSets.ExternalRedis);
        var controller = chart.Named<V1Deployment>("-controller").Spec.Template.Spec;
        var container = controller.Containers.Single();
        var agent = chart.Named<V1DaemonSet>("-agent").Spec.Template.Spec;

        Assert.Equal("checkout", container.Env("Robinhood__Kubernetes__Services__0").Value);
        Assert.Equal("search", container.Env("Robinhood__Kubernetes__Services__1").Value);
        Assert.Equal("StaticToken", container.Env("Robinhood__Auth__Mode").Value);
        // The grants file and the forward token in the controller, the agents' token in the agents: three Secrets.
        foreach (var (pod, key, secret) in new[]
        {
            (controller, "Robinhood__Auth__TokenFile", "robinhood-grants"),
            (controller, "Robinhood__Auth__ForwardTokenFile", "robinhood-forward-token"),
            (agent, "Robinhood__Agent__TokenFile", "robinhood-agent-token"),
        })
        {
            var c = pod.Containers.Single();
            var file = c.Env(key).Value;
            var mount = c.VolumeMounts.Single(m => file.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
            Assert.Equal(secret, pod.Volumes.Single(v => v.Name == mount.Name).Secret.SecretName);
        }

        Assert.DoesNotContain(agent.Volumes, v => v.Secret?.SecretName is "robinhood-grants" or "robinhood-forward-token");
        Assert.DoesNotContain(controller.Volumes, v => v.Secret?.SecretName == "robinhood-agent-token");
        Assert.DoesNotContain(agent.Volumes, v => v.Projected is not null);
    }

    [Fact]
    public void MinimalNoAgent_RendersOnlyTheController()
    {
        var chart = helm.Render(ValueSets.MinimalNoAgent);
        var deployment = Assert.Single(chart.All<V1Deployment>());
        var container = deployment.Spec.Template.Spec.Containers.Single();

        Assert.Equal(1, deployment.Spec.Replicas);
        Assert.Empty(chart.All<V1DaemonSet>());
        Assert.Empty(chart.All<V1PodDisruptionBudget>());
        Assert.False(container.HasEnv("ConnectionStrings__Redis"), "no Redis configured: the controller keeps state in memory");
        Assert.Equal("None", container.Env("Robinhood__Auth__Mode").Value);
        Assert.Single(chart.All<V1ServiceAccount>());
        // Still a full controller: gains file, RBAC for leases and EndpointSlices.
        Assert.Equal("true", container.Env("DOTNET_USE_POLLING_FILE_WATCHER").Value);
        Assert.Single(chart.All<V1Role>());
    }

    [Fact]
    public void Production_ScrapesEveryHostsMetricsThroughOneServiceMonitor()
    {
        var chart = helm.Render(ValueSets.Production);
        var monitor = Assert.Single(chart.All<ServiceMonitor>());

        Assert.Equal("kube-prometheus-stack", monitor.Metadata.Labels["release"]);
        var endpoint = Assert.Single(monitor.Spec.Endpoints);
        Assert.Equal("/metrics", endpoint.Path);
        Assert.Equal([HelmFixture.Namespace], monitor.Spec.NamespaceSelector.MatchNames);
        var scraped = chart.All<V1Service>()
            .Where(s => monitor.Spec.Selector.MatchLabels.All(l => s.Metadata.Labels.TryGetValue(l.Key, out var v) && v == l.Value))
            .ToList();
        Assert.Equal(
            new[] { "agent", "controller", "proxy" },
            scraped.Select(s => s.Metadata.Labels["app.kubernetes.io/component"]).Order(StringComparer.Ordinal));
        Assert.All(scraped, s => Assert.Contains(s.Spec.Ports, p => p.Name == endpoint.Port));
    }

    [Fact]
    public void Production_LetsOnlyTheControllerReachRedis()
    {
        var chart = helm.Render(ValueSets.Production);
        var policy = chart.Named<V1NetworkPolicy>("-redis");
        var redisPod = chart.Named<V1Deployment>("-redis").Spec.Template.Metadata.Labels;
        var controllerPod = chart.Named<V1Deployment>("-controller").Spec.Template.Metadata.Labels;

        Assert.All(policy.Spec.PodSelector.MatchLabels, l => Assert.Equal(l.Value, redisPod[l.Key]));
        var from = Assert.Single(Assert.Single(policy.Spec.Ingress).FromProperty);
        Assert.Equal("controller", from.PodSelector.MatchLabels["app.kubernetes.io/component"]);
        Assert.All(from.PodSelector.MatchLabels, l => Assert.Equal(l.Value, controllerPod[l.Key]));
        var grpc = chart.Named<V1NetworkPolicy>("-controller").Spec.Ingress.Where(r => r.Ports.Any(p => p.Port.Value == "grpc")).SelectMany(r => r.FromProperty).ToList();
        Assert.Contains(grpc, f => f.NamespaceSelector?.MatchLabels["robinhood.io/client"] == "true");
        // The replicas forward reports to each other: the listed clients must not shut them out.
        Assert.Contains(grpc, f => f.NamespaceSelector is null && f.PodSelector?.MatchLabels["app.kubernetes.io/component"] == "controller");
        // They forward admin calls to each other too: the listed HTTP peers (Prometheus) must not shut them out.
        var http = chart.Named<V1NetworkPolicy>("-controller").Spec.Ingress.Where(r => r.Ports.Any(p => p.Port.Value == "http")).SelectMany(r => r.FromProperty).ToList();
        Assert.Contains(http, f => f.NamespaceSelector?.MatchLabels["kubernetes.io/metadata.name"] == "monitoring");
        Assert.Contains(http, f => f.NamespaceSelector is null && f.PodSelector?.MatchLabels["app.kubernetes.io/component"] == "controller");
        Assert.Equal(4, chart.All<V1NetworkPolicy>().Count());
    }

    [Fact]
    public void Production_RunsTheProxyBehindAServiceWithADisruptionBudget()
    {
        var chart = helm.Render(ValueSets.Production);
        var proxy = chart.Named<V1Deployment>("-proxy");
        var container = proxy.Spec.Template.Spec.Containers.Single();

        Assert.Equal(3, proxy.Spec.Replicas);
        Assert.Equal("checkout", container.Env("Robinhood__Proxy__DefaultService").Value);
        Assert.Equal(chart.Named<V1DaemonSet>("-agent").Spec.Template.Spec.Containers.Single().Env("Robinhood__Controller").Value,
            container.Env("Robinhood__Controller").Value);
        Assert.Equal("http", chart.Named<V1Service>("-proxy").Spec.Ports.Single().TargetPort.Value);
        Assert.Equal(proxy.Spec.Selector.MatchLabels, chart.Named<V1PodDisruptionBudget>("-proxy").Spec.Selector.MatchLabels);
        Assert.False(proxy.Spec.Template.Spec.AutomountServiceAccountToken);
    }

    [Fact]
    public void Production_PullsEveryRobinhoodImageFromTheRegistryAtTheTag()
    {
        var chart = helm.Render(ValueSets.Production);
        var images = chart.PodSpecs.SelectMany(p => p.Pod.Containers).Select(c => c.Image).ToList();

        foreach (var host in new[] { "controller", "agent", "proxy" })
        {
            Assert.Contains($"registry.example.com/robinhood/{host}:1.2.3", images);
        }

        var redis = chart.Named<V1Deployment>("-redis").Spec.Template.Spec;
        Assert.Equal(chart.Named<V1PersistentVolumeClaim>("-redis").Metadata.Name, redis.Volumes.Single(v => v.Name == "data").PersistentVolumeClaim.ClaimName);
    }
}
