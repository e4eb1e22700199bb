using k8s.Models;
using Robinhood.Charts.Tests.Helm;

namespace Robinhood.Charts.Tests;

/// <summary>What every container of every workload must have, whatever the value set.</summary>
[Collection(HelmCollection.Name)]
public sealed class WorkloadSecurityTests(HelmFixture helm)
{
    [Theory]
    [MemberData(nameof(ValueSets.All), MemberType = typeof(ValueSets))]
    public void EveryContainer_HasReadinessAndLivenessProbesOnDeclaredPorts(string? valueSet)
    {
        foreach (var (workload, _, container) in Containers(valueSet))
        {
            foreach (var (kind, probe) in new[] { ("readiness", container.ReadinessProbe), ("liveness", container.LivenessProbe) })
            {
                Assert.True(probe is not null, $"{workload} container {container.Name} has no {kind} probe");
                Assert.True(probe.HttpGet is not null || probe.TcpSocket is not null || probe.Exec is not null || probe.Grpc is not null,
                    $"{workload} container {container.Name}: {kind} probe has no handler");
                var port = probe.HttpGet?.Port ?? probe.TcpSocket?.Port;
                if (port is not null)
                {
                    var declared = (container.Ports ?? []).Select(p => p.Name).Concat((container.Ports ?? []).Select(p => p.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    Assert.Contains(port.Value, declared);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(ValueSets.All), MemberType = typeof(ValueSets))]
    public void EveryContainer_HasCpuAndMemoryRequestsAndAMemoryLimit(string? valueSet)
    {
        foreach (var (workload, _, container) in Containers(valueSet))
        {
            var resources = container.Resources;
            Assert.True(resources?.Requests is not null, $"{workload} container {container.Name} has no resource requests");
            Assert.True(resources.Requests.ContainsKey("cpu") && resources.Requests.ContainsKey("memory"), $"{workload} container {container.Name}: requests lack cpu or memory");
            Assert.True(resources.Limits?.ContainsKey("memory") == true, $"{workload} container {container.Name} has no memory limit");
        }
    }

    [Theory]
    [MemberData(nameof(ValueSets.All), MemberType = typeof(ValueSets))]
    public void EveryContainer_RunsNonRootReadOnlyWithoutCapabilities(string? valueSet)
    {
        foreach (var (workload, pod, container) in Containers(valueSet))
        {
            var security = container.SecurityContext;
            Assert.True(security is not null, $"{workload} container {container.Name} has no securityContext");
            Assert.True((security.RunAsNonRoot ?? pod.SecurityContext?.RunAsNonRoot) == true, $"{workload} container {container.Name} may run as root");
            Assert.True(security.ReadOnlyRootFilesystem == true, $"{workload} container {container.Name} has a writable root filesystem");
            Assert.True(security.AllowPrivilegeEscalation == false, $"{workload} container {container.Name} allows privilege escalation");
            Assert.Contains("ALL", security.Capabilities?.Drop ?? []);
            Assert.True(security.Privileged is null or false, $"{workload} container {container.Name} is privileged");
            Assert.True(pod.SecurityContext?.RunAsUser is null or > 0, $"{workload} runs as UID 0");
        }
    }

    [Theory]
    [MemberData(nameof(ValueSets.All), MemberType = typeof(ValueSets))]
    public void EveryReadOnlyContainer_WritesTmpToAnEmptyDir(string? valueSet)
    {
        foreach (var (workload, pod, container) in Containers(valueSet))
        {
            var tmp = container.VolumeMounts?.SingleOrDefault(m => m.MountPath == "/tmp");
            Assert.True(tmp is not null, $"{workload} container {container.Name} has no /tmp mount");
            Assert.True(tmp.ReadOnlyProperty is null or false, $"{workload} container {container.Name}: /tmp is read-only");
            var volume = pod.Volumes.Single(v => v.Name == tmp.Name);
            Assert.NotNull(volume.EmptyDir);
        }
    }

    [Theory]
    [MemberData(nameof(ValueSets.All), MemberType = typeof(ValueSets))]
    public void EveryVolumeMount_NamesAVolumeOfThePod(string? valueSet)
    {
        foreach (var (workload, pod, container) in Containers(valueSet))
        {
            var volumes = (pod.Volumes ?? []).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var mount in container.VolumeMounts ?? [])
            {
                Assert.True(volumes.Contains(mount.Name), $"{workload} container {container.Name} mounts missing volume {mount.Name}");
            }
        }
    }

    private List<(string Workload, V1PodSpec Pod, V1Container Container)> Containers(string? valueSet)
    {
        var containers = helm.Render(valueSet).PodSpecs
            .SelectMany(p => p.Pod.AllContainers().Select(c => (p.Workload, p.Pod, c)))
            .ToList();
        Assert.NotEmpty(containers);
        return containers;
    }
}
