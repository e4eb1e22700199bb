using Robinhood.Agent.Node;

namespace Robinhood.Agent.Tests.Node;

public sealed class PodEndpointTests
{
    private const string Label = "robinhood.io/service";

    [Fact]
    public void From_RunningLabelledPod_EndpointIsPodIpAndFirstContainerPort()
    {
        var endpoint = PodEndpoint.From(TestPods.Pod("web-0", TestPods.BurstableUid, "10.1.0.7"), Label);

        Assert.Equal(new PodEndpoint(TestPods.BurstableUid, "shop/web-0", "web", "10.1.0.7:8080", null, null, null), endpoint);
    }

    [Theory]
    [InlineData("", "web")]
    [InlineData("shop", "web")]
    [InlineData("robinhood", "shop/web")]
    public void From_PodOutsideTheHomeNamespace_ReportsNamespaceSlashLabel(string homeNamespace, string expected)
    {
        var pod = TestPods.Pod("web-0", TestPods.BurstableUid, "10.1.0.7");

        Assert.Equal(expected, PodEndpoint.From(pod, Label, homeNamespace)?.Service);
    }

    [Theory]
    [InlineData("9090", "10.1.0.7:9090")]
    [InlineData("http", "10.1.0.7:8080")]
    public void From_PortAnnotation_NumberOrContainerPortNameWins(string annotation, string expected)
    {
        var pod = TestPods.Pod("web-0", TestPods.BurstableUid, "10.1.0.7", annotations: new Dictionary<string, string> { ["robinhood.io/port"] = annotation });

        Assert.Equal(expected, PodEndpoint.From(pod, Label)?.Endpoint);
    }

    [Fact]
    public void From_Ipv6Pod_BracketsTheAddress()
    {
        Assert.Equal("[fd00::7]:8080", PodEndpoint.From(TestPods.Pod("web-0", TestPods.BurstableUid, "fd00::7"), Label)?.Endpoint);
    }

    [Theory]
    [InlineData("Pending", "web")]
    [InlineData("Succeeded", "web")]
    [InlineData("Running", null)]
    public void From_NotRunningOrNotLabelled_IsNotAnEndpoint(string phase, string? service)
    {
        Assert.Null(PodEndpoint.From(TestPods.Pod("web-0", TestPods.BurstableUid, "10.1.0.7", service: service, phase: phase), Label));
    }

    [Fact]
    public void From_EveryContainerLimited_LimitIsTheirSum()
    {
        var pod = TestPods.Pod("web-0", TestPods.BurstableUid, "10.1.0.7", cpuLimit: "500m");
        pod.Spec.Containers.Add(new k8s.Models.V1Container
        {
            Name = "sidecar",
            Resources = new k8s.Models.V1ResourceRequirements { Limits = new Dictionary<string, k8s.Models.ResourceQuantity> { ["cpu"] = new("1") } },
        });

        Assert.Equal(1.5, PodEndpoint.From(pod, Label)?.LimitCpus);

        pod.Spec.Containers.Add(new k8s.Models.V1Container { Name = "unlimited" });
        Assert.Null(PodEndpoint.From(pod, Label)?.LimitCpus);
    }

    [Theory]
    [InlineData("/inflight", "http://10.1.0.7:8080/inflight")]
    [InlineData("http://10.1.0.7:9100/load", "http://10.1.0.7:9100/load")]
    [InlineData("ftp://nope", null)]
    public void From_InFlightUrlAnnotation_PathIsOnThePodsEndpoint(string annotation, string? expected)
    {
        var pod = TestPods.Pod("web-0", TestPods.BurstableUid, "10.1.0.7", annotations: new Dictionary<string, string>
        {
            ["robinhood.io/in-flight-url"] = annotation,
            ["robinhood.io/max-in-flight"] = "32",
        });

        var endpoint = PodEndpoint.From(pod, Label);

        Assert.Equal(expected, endpoint?.InFlightUrl?.ToString());
        Assert.Equal(32u, endpoint?.MaxInFlight);
    }
}
