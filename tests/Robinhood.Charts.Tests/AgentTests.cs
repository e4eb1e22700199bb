using k8s.Models;
using Robinhood.Charts.Tests.Helm;

namespace Robinhood.Charts.Tests;

/// <summary>The node agent DaemonSet as the default values install it.</summary>
[Collection(HelmCollection.Name)]
public sealed class AgentTests(HelmFixture helm)
{
    private RenderedChart Chart => helm.Render(null);

    private V1PodSpec Pod => Chart.Named<V1DaemonSet>("-agent").Spec.Template.Spec;

    private V1Container Container => Pod.Containers.Single(c => c.Name == "agent");

    [Fact]
    public void DaemonSet_RunsInNodeModeOnItsOwnNode()
    {
        Assert.Equal("Node", Container.Env("Robinhood__Agent__Mode").Value);
        Assert.Equal("spec.nodeName", Container.Env("Robinhood__Agent__NodeName").ValueFrom.FieldRef.FieldPath);
        Assert.Equal(7002, Container.Ports.Single(p => p.Name == "http").ContainerPort);
    }

    [Fact]
    public void DaemonSet_DialsTheControllerGrpcService()
    {
        var grpc = Chart.Named<V1Service>("-controller-grpc");

        Assert.Equal($"http://{grpc.Metadata.Name}.{HelmFixture.Namespace}.svc:{grpc.Spec.Ports.Single().Port}",
            Container.Env("Robinhood__Controller").Value);
    }

    [Fact]
    public void DaemonSet_ReadsHostCgroupsReadOnly()
    {
        var mount = Container.VolumeMounts.Single(m => m.MountPath == "/sys/fs/cgroup");
        Assert.True(mount.ReadOnlyProperty);
        var volume = Pod.Volumes.Single(v => v.Name == mount.Name);
        Assert.Equal("/sys/fs/cgroup", volume.HostPath.Path);
        Assert.Null(Pod.HostNetwork);
        Assert.Null(Pod.HostPID);
    }

    [Fact]
    public void DaemonSet_AuthenticatesWithAProjectedTokenForTheControllersAudience()
    {
        var tokenFile = Container.Env("Robinhood__Agent__TokenFile").Value;
        var mount = Container.VolumeMounts.Single(m => tokenFile.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
        var source = Pod.Volumes.Single(v => v.Name == mount.Name).Projected.Sources.Single().ServiceAccountToken;

        Assert.Equal(tokenFile, $"{mount.MountPath}/{source.Path}");
        var controller = Chart.Named<V1Deployment>("-controller").Spec.Template.Spec.Containers.Single();
        Assert.Equal(controller.Env("Robinhood__Auth__Audience").Value, source.Audience);
        Assert.Equal("robinhood", source.Audience);
        Assert.True(source.ExpirationSeconds >= 600);
    }

    [Fact]
    public void ClusterRole_OnlyReadsPodsAndEndpointSlices()
    {
        var role = Chart.Named<V1ClusterRole>($"-agent-{HelmFixture.Namespace}");

        Assert.All(role.Rules, r => Assert.Subset(new HashSet<string> { "get", "list", "watch" }, r.Verbs.ToHashSet()));
        Assert.Contains(role.Rules, r => r.Resources.Contains("pods"));
        var binding = Chart.Named<V1ClusterRoleBinding>($"-agent-{HelmFixture.Namespace}");
        Assert.Equal(Chart.Named<V1ServiceAccount>("-agent").Metadata.Name, binding.Subjects.Single().Name);
        Assert.Equal(binding.Subjects.Single().Name, Pod.ServiceAccountName);
    }

    [Fact]
    public void SidecarSnippet_IsDocumentedInTheReadmeAndNotes()
    {
        var readme = File.ReadAllText(RepositoryRoot.Combine("charts", "robinhood", "README.md"));
        var notes = File.ReadAllText(RepositoryRoot.Combine("charts", "robinhood", "templates", "NOTES.txt"));

        foreach (var text in new[] { readme, notes })
        {
            Assert.Contains("Robinhood__Agent__Service", text, StringComparison.Ordinal);
            Assert.Contains("Robinhood__Agent__Endpoint", text, StringComparison.Ordinal);
            Assert.Contains("serviceAccountToken", text, StringComparison.Ordinal);
        }
    }
}
