using k8s;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Robinhood.Controller.Leadership;

namespace Robinhood.Controller.Membership;

/// <summary>Registers the Kubernetes API client and, when enabled, EndpointSlice membership.</summary>
public static class MembershipServiceCollectionExtensions
{
    public static IServiceCollection AddKubernetesMembership(this IServiceCollection services, bool enabled)
    {
        services.AddOptions<KubernetesOptions>().BindConfiguration(KubernetesOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IKubernetes>(KubernetesClientFactory.Create);
        services.TryAddSingleton(Random.Shared);
        services.AddSingleton(new ServiceMembers(enabled));
        services.AddSingleton<ResourceWatch>();
        if (enabled)
        {
            services.AddShardWork<EndpointSliceMembership>();
            services.AddHostedService(sp => sp.GetRequiredService<EndpointSliceMembership>());
        }

        return services;
    }
}
