using k8s.Models;

namespace Robinhood.Charts.Tests.Helm;

public static class ContainerExtensions
{
    /// <summary>The container's environment variable of that name; fails naming the container when missing.</summary>
    public static V1EnvVar Env(this V1Container container, string name) =>
        container.Env?.SingleOrDefault(e => e.Name == name)
        ?? throw new Xunit.Sdk.XunitException($"Container {container.Name} has no env {name}; it has: {string.Join(", ", container.Env?.Select(e => e.Name) ?? [])}");

    public static bool HasEnv(this V1Container container, string name) =>
        container.Env?.Any(e => e.Name == name) == true;

    public static IEnumerable<V1Container> AllContainers(this V1PodSpec pod) =>
        pod.Containers.Concat(pod.InitContainers ?? []);
}
