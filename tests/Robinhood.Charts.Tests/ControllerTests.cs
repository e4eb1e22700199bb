using System.Globalization;
using System.Text;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Robinhood.Charts.Tests.Helm;
using Robinhood.Control;

namespace Robinhood.Charts.Tests;

/// <summary>The controller as the default values install it: replicas, Services, env, gains file, RBAC.</summary>
[Collection(HelmCollection.Name)]
public sealed class ControllerTests(HelmFixture helm)
{
    private RenderedChart Chart => helm.Render(null);

    private V1Container Container => Chart.Named<V1Deployment>("-controller").Spec.Template.Spec.Containers.Single(c => c.Name == "controller");

    [Fact]
    public void Deployment_RunsTwoReplicasThatNeverAllDrainAtOnce()
    {
        var deployment = Chart.Named<V1Deployment>("-controller");

        Assert.Equal(2, deployment.Spec.Replicas);
        Assert.Equal("0", deployment.Spec.Strategy.RollingUpdate.MaxUnavailable.Value);
        var pdb = Chart.Named<V1PodDisruptionBudget>("-controller");
        Assert.Equal("1", pdb.Spec.MinAvailable.Value);
        Assert.Equal(deployment.Spec.Selector.MatchLabels, pdb.Spec.Selector.MatchLabels);
    }

    [Fact]
    public void Services_ExposeGrpcAndHttpOnTheNamedContainerPorts()
    {
        var deployment = Chart.Named<V1Deployment>("-controller");
        var ports = Container.Ports.ToDictionary(p => p.Name, p => p.ContainerPort);
        Assert.Equal(7000, ports["grpc"]);
        Assert.Equal(7001, ports["http"]);

        var grpc = Chart.Named<V1Service>("-controller-grpc");
        var http = Chart.Named<V1Service>("-controller-http");
        Assert.Equal(7000, grpc.Spec.Ports.Single().Port);
        Assert.Equal("grpc", grpc.Spec.Ports.Single().TargetPort.Value);
        Assert.Equal("kubernetes.io/h2c", grpc.Spec.Ports.Single().AppProtocol);
        Assert.Equal(7001, http.Spec.Ports.Single().Port);
        Assert.Equal("http", http.Spec.Ports.Single().TargetPort.Value);
        foreach (var service in new[] { grpc, http })
        {
            Assert.All(service.Spec.Selector, s => Assert.Equal(s.Value, deployment.Spec.Template.Metadata.Labels[s.Key]));
        }
    }

    [Fact]
    public void KubernetesAuth_NamesNodeAgentsAndPeersAndMountsAForwardTokenOfTheAgentsAudience()
    {
        var container = Container;
        var agent = Chart.Named<V1ServiceAccount>("-agent").Metadata.Name;
        var controller = Chart.Named<V1ServiceAccount>("-controller").Metadata.Name;
        Assert.Equal($"system:serviceaccount:{HelmFixture.Namespace}:{agent}", container.Env("Robinhood__Auth__NodeAgents__0").Value);
        Assert.Equal($"system:serviceaccount:{HelmFixture.Namespace}:{controller}", container.Env("Robinhood__Auth__Peers__0").Value);

        var file = container.Env("Robinhood__Auth__ForwardTokenFile").Value;
        var mount = Assert.Single(container.VolumeMounts, m => file.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
        var volume = Assert.Single(Chart.Named<V1Deployment>("-controller").Spec.Template.Spec.Volumes, v => v.Name == mount.Name);
        var token = Assert.Single(volume.Projected.Sources).ServiceAccountToken;
        Assert.Equal("robinhood", token.Audience);
        Assert.Equal(Path.GetFileName(file), token.Path);
    }

    [Fact]
    public void Env_CarriesEveryPlannedConfigurationKey()
    {
        var container = Container;

        Assert.Equal("http://0.0.0.0:7000", container.Env("Kestrel__Endpoints__Grpc__Url").Value);
        Assert.Equal("http://0.0.0.0:7001", container.Env("Kestrel__Endpoints__Http__Url").Value);
        Assert.Equal("00:00:01", container.Env("Robinhood__Control__Interval").Value);
        Assert.Equal("true", container.Env("Robinhood__Kubernetes__Enabled").Value);
        Assert.Equal("metadata.namespace", container.Env("Robinhood__Kubernetes__Namespace").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.name", container.Env("Robinhood__Leadership__Identity").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("status.podIP", container.Env("POD_IP").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("http://$(POD_IP):7000", container.Env("Robinhood__Leadership__AdvertiseAddress").Value);
        // $(POD_IP) expands only when POD_IP is defined earlier in the list.
        Assert.True(container.Env.IndexOf(container.Env("POD_IP")) < container.Env.IndexOf(container.Env("Robinhood__Leadership__AdvertiseAddress")));
        Assert.Equal("http://$(POD_IP):7001", container.Env("Robinhood__Leadership__AdvertiseHttpAddress").Value);
        Assert.True(container.Env.IndexOf(container.Env("POD_IP")) < container.Env.IndexOf(container.Env("Robinhood__Leadership__AdvertiseHttpAddress")));
        Assert.Equal($"{HelmFixture.ReleaseName}-robinhood-controller", container.Env("Robinhood__Leadership__LeaseName").Value);
        Assert.Equal("Kubernetes", container.Env("Robinhood__Auth__Mode").Value);
        Assert.Equal("robinhood", container.Env("Robinhood__Auth__Audience").Value);
        Assert.Equal($"{HelmFixture.ReleaseName}-robinhood-redis:6379,abortConnect=false,password=$(REDIS_PASSWORD)", container.Env("ConnectionStrings__Redis").Value);
        var redis = Chart.Named<V1Service>("-redis");
        Assert.Equal(6379, redis.Spec.Ports.Single().Port);
    }

    [Fact]
    public void GainsConfigMap_IsMountedWhereRobinhoodConfigFilePointsAndPolled()
    {
        var pod = Chart.Named<V1Deployment>("-controller").Spec.Template.Spec;
        var configMap = Chart.Named<V1ConfigMap>("-controller");
        var container = Container;

        var file = container.Env("Robinhood__ConfigFile").Value;
        Assert.Equal("true", container.Env("DOTNET_USE_POLLING_FILE_WATCHER").Value);
        var mount = container.VolumeMounts.Single(m => file.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
        Assert.Equal("/etc/robinhood", mount.MountPath);
        Assert.Equal(configMap.Metadata.Name, pod.Volumes.Single(v => v.Name == mount.Name).ConfigMap.Name);
        // Mounted as a whole folder, not with subPath: a subPath mount never sees ConfigMap updates.
        Assert.Null(mount.SubPath);
        Assert.True(configMap.Data.ContainsKey(Path.GetFileName(file)), $"ConfigMap lacks {Path.GetFileName(file)}");
        // A checksum annotation would restart the pods on every gains change; the point is a live reload.
        Assert.DoesNotContain(pod.Containers, c => c.Name == "checksum");
        Assert.True(Chart.Named<V1Deployment>("-controller").Spec.Template.Metadata.Annotations?.Keys.Any(k => k.Contains("checksum", StringComparison.Ordinal)) != true);
    }

    [Theory]
    [MemberData(nameof(ValueSets.All), MemberType = typeof(ValueSets))]
    public void GainsFile_BindsToValidControlOptions(string? valueSet)
    {
        var section = GainsFile(helm.Render(valueSet));
        var known = typeof(ControlOptions).GetProperties().Select(p => p.Name).Append("Services").Append("StartupGrace");

        Assert.All(section.GetChildren(), c => Assert.Contains(c.Key, known, StringComparer.OrdinalIgnoreCase));
        var defaults = section.Get<ControlOptions>() ?? new ControlOptions();
        Assert.Empty(defaults.Validate());
        foreach (var service in section.GetSection("Services").GetChildren())
        {
            var options = section.Get<ControlOptions>() ?? new ControlOptions();
            service.Bind(options);
            Assert.Empty(options.Validate($"Robinhood:Control:Services:{service.Key}"));
        }
    }

    [Fact]
    public void GainsFile_ByDefault_SetsNoGainsSoTheControllersDefaultsApply()
    {
        var section = GainsFile(Chart);

        Assert.Empty(section.GetChildren());
        Assert.Contains("\"Control\"", Chart.Named<V1ConfigMap>("-controller").Data["robinhood.json"], StringComparison.Ordinal);
    }

    [Fact]
    public void GainsFile_CarriesTheValuesGainsAndPerServiceOverrides()
    {
        var section = GainsFile(helm.Render(ValueSets.ExternalRedis));

        Assert.Equal(0.3, section.GetValue<double>("Kp"));
        Assert.Equal(0.02, section.GetValue<double>("Ki"));
        Assert.Equal(SignalMode.InFlight, section.GetValue<SignalMode>("Services:checkout:Signal"));
        Assert.Equal(0.1, section.GetValue<double>("Services:checkout:Kd"));
    }

    [Theory]
    [InlineData(null, 2)]
    [InlineData(ValueSets.Production, 6)]
    public void Role_GrantsTheShardLeasesForElectionAndEndpointSlicesForMembership(string? valueSet, int shards)
    {
        var chart = helm.Render(valueSet);
        var role = chart.Named<V1Role>("-controller");
        var container = chart.Named<V1Deployment>("-controller").Spec.Template.Spec.Containers.Single(c => c.Name == "controller");
        Assert.Equal(shards.ToString(CultureInfo.InvariantCulture), container.Env("Robinhood__Leadership__Shards").Value);

        // Default: as many shards as replicas (2); production sets 6 for its 3 replicas.
        var leases = role.Rules.Where(r => r.ApiGroups.Contains("coordination.k8s.io") && r.Resources.Contains("leases")).ToList();
        Assert.Equal(["create"], Assert.Single(leases, r => r.ResourceNames is null).Verbs);
        var named = Assert.Single(leases, r => r.ResourceNames is not null);
        Assert.Equal(["get", "update"], named.Verbs);
        Assert.Equal(Enumerable.Range(0, shards).Select(s => $"{HelmFixture.ReleaseName}-robinhood-controller-{s}"), named.ResourceNames);
        var slices = role.Rules.Single(r => r.ApiGroups.Contains("discovery.k8s.io") && r.Resources.Contains("endpointslices"));
        Assert.Subset(slices.Verbs.ToHashSet(), new HashSet<string> { "get", "list", "watch" });
        Assert.DoesNotContain(role.Rules, r => r.Verbs.Contains("*") || r.Resources.Contains("*"));

        var binding = Chart.Named<V1RoleBinding>("-controller");
        Assert.Equal(("Role", role.Metadata.Name), (binding.RoleRef.Kind, binding.RoleRef.Name));
        AssertBindsControllerServiceAccount(binding.Subjects);
    }

    [Fact]
    public void ClusterRole_GrantsTokenReviewCreateAndPodReadsForAgentAuthorization()
    {
        var clusterRole = Chart.Named<V1ClusterRole>($"-controller-{HelmFixture.Namespace}");

        Assert.Equal(2, clusterRole.Rules.Count);
        var review = clusterRole.Rules[0];
        Assert.Equal(["authentication.k8s.io"], review.ApiGroups);
        Assert.Equal(["tokenreviews"], review.Resources);
        Assert.Equal(["create"], review.Verbs);
        var pods = clusterRole.Rules[1];
        Assert.Equal([""], pods.ApiGroups);
        Assert.Equal(["pods"], pods.Resources);
        Assert.Equal(["get", "list", "watch"], pods.Verbs);
        var binding = Chart.Named<V1ClusterRoleBinding>($"-controller-{HelmFixture.Namespace}");
        Assert.Equal(("ClusterRole", clusterRole.Metadata.Name), (binding.RoleRef.Kind, binding.RoleRef.Name));
        AssertBindsControllerServiceAccount(binding.Subjects);
    }

    /// <summary>Robinhood:Control of the rendered robinhood.json, read by the same JSON provider the controller uses.</summary>
    private static IConfigurationSection GainsFile(RenderedChart chart)
    {
        var json = chart.Named<V1ConfigMap>("-controller").Data["robinhood.json"];
        return new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build()
            .GetSection("Robinhood:Control");
    }

    private void AssertBindsControllerServiceAccount(IList<Rbacv1Subject> subjects)
    {
        var account = Chart.Named<V1ServiceAccount>("-controller");
        var subject = Assert.Single(subjects);
        Assert.Equal(("ServiceAccount", account.Metadata.Name, HelmFixture.Namespace), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.Equal(account.Metadata.Name, Chart.Named<V1Deployment>("-controller").Spec.Template.Spec.ServiceAccountName);
    }
}
