using k8s.Models;

namespace Robinhood.Agent.Tests.Node;

/// <summary>Pods as the API server returns them, and the UIDs of the pods in the node cgroup fixtures.</summary>
internal static class TestPods
{
    public const string Node = "node-1";
    public const string BurstableUid = "3f8a1c2e-7b4d-4e2a-9c1f-0a1b2c3d4e5f";
    public const string BestEffortUid = "9b1e2d3c-4a5b-4c6d-8e7f-102132435465";
    public const string GuaranteedUid = "5c2d7e8f-1a2b-4c3d-9e4f-a1b2c3d4e5f6";

    public static V1Pod Pod(
        string name,
        string uid,
        string ip,
        string? service = "web",
        string node = Node,
        string phase = "Running",
        int containerPort = 8080,
        string? cpuLimit = null,
        IDictionary<string, string>? annotations = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "shop",
            Uid = uid,
            Labels = service is null
                ? new Dictionary<string, string> { ["app"] = name }
                : new Dictionary<string, string> { ["app"] = name, ["robinhood.io/service"] = service },
            Annotations = annotations,
        },
        Spec = new V1PodSpec
        {
            NodeName = node,
            Containers =
            [
                new V1Container
                {
                    Name = "app",
                    Image = "shop/web:1",
                    Ports = [new V1ContainerPort { Name = "http", ContainerPort = containerPort, Protocol = "TCP" }],
                    Resources = cpuLimit is null
                        ? null
                        : new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new ResourceQuantity(cpuLimit) } },
                },
            ],
        },
        Status = new V1PodStatus { Phase = phase, PodIP = phase == "Pending" ? null : ip, QosClass = "Burstable" },
    };
}
