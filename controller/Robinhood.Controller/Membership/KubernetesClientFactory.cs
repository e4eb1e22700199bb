using k8s;
using Microsoft.Extensions.Options;

namespace Robinhood.Controller.Membership;

/// <summary>The one Kubernetes API client: <c>Robinhood:Kubernetes:Host</c>, else in-cluster, else kubeconfig.</summary>
public static class KubernetesClientFactory
{
    public static IKubernetes Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<KubernetesOptions>>().Value;
        var configuration = options.Host is { Length: > 0 } host
            ? new KubernetesClientConfiguration { Host = host }
            : KubernetesClientConfiguration.IsInCluster()
                ? KubernetesClientConfiguration.InClusterConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile();
        return new Kubernetes(configuration);
    }
}
