using k8s.Models;
using Robinhood.Charts.Tests.Helm;

namespace Robinhood.Charts.Tests;

/// <summary>agent.sidecarExample: the agent beside an application, measuring the application and not itself.</summary>
[Collection(HelmCollection.Name)]
public sealed class AgentSidecarExampleTests(HelmFixture helm)
{
    private V1PodSpec Pod => helm.Render(ValueSets.SidecarExample).Named<V1Deployment>("-sidecar-example").Spec.Template.Spec;

    private V1Container Agent => Pod.Containers.Single(c => c.Name == "robinhood-agent");

    [Fact]
    public void SidecarExample_SharesTheProcessNamespace_SoTheAgentSeesTheApplication()
    {
        Assert.True(Pod.ShareProcessNamespace);
        Assert.Equal(["app", "robinhood-agent"], Pod.Containers.Select(c => c.Name));
    }

    [Fact]
    public void SidecarExample_MeasuresAgainstTheApplicationsCpuLimitFromTheDownwardApi()
    {
        var limit = Agent.Env("Robinhood__Agent__ApplicationCpuMillis").ValueFrom.ResourceFieldRef;

        Assert.Equal("app", limit.ContainerName);
        Assert.Equal("limits.cpu", limit.Resource);
        Assert.Equal("1m", limit.Divisor.ToString());
        Assert.Equal("500m", Pod.Containers.Single(c => c.Name == "app").Resources.Limits["cpu"].ToString());
    }

    [Fact]
    public void SidecarExample_ReportsTheApplicationsPortAndServesItsOwnHttpOnAnother()
    {
        var appPort = Pod.Containers.Single(c => c.Name == "app").Ports.Single().ContainerPort;
        var agentPort = Agent.Ports.Single(p => p.Name == "agent-http").ContainerPort;

        Assert.Equal("checkout", Agent.Env("Robinhood__Agent__Service").Value);
        Assert.Equal($"$(POD_IP):{appPort}", Agent.Env("Robinhood__Agent__Endpoint").Value);
        Assert.NotEqual(appPort, agentPort);
        Assert.Equal($"http://0.0.0.0:{agentPort}", Agent.Env("Kestrel__Endpoints__Http__Url").Value);
    }

    [Fact]
    public void SidecarExample_AgentPortEqualToTheApplications_RefusedNamingBoth()
    {
        var result = helm.Helm(["template", HelmFixture.ReleaseName, HelmFixture.ChartPath, "--namespace", HelmFixture.Namespace, .. HelmFixture.RequiredValues,
            "--values", HelmFixture.ValuesPath(ValueSets.SidecarExample), "--set", "agent.sidecarExample.agentHttpPort=8080"]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("agent.sidecarExample.agentHttpPort (8080) must differ from agent.sidecarExample.app.port", result.ToString(), StringComparison.Ordinal);
    }
}
