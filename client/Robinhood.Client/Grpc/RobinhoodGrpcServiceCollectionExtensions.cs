using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Robinhood.Client.Subscription;

namespace Robinhood.Client.Grpc;

/// <summary>Registers Robinhood with Grpc.Net.Client.</summary>
public static class RobinhoodGrpcServiceCollectionExtensions
{
    /// <summary>
    /// Adds the <c>robinhood</c> resolver and the <c>robinhood_wrr</c> balancer (and the weight subscription),
    /// so a channel for <c>robinhood:///service</c> with this service provider balances each call by weight.
    /// </summary>
    public static IServiceCollection AddRobinhoodGrpc(this IServiceCollection services)
    {
        services.AddRobinhoodClient();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ResolverFactory, RobinhoodResolverFactory>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<LoadBalancerFactory, WeightedRoundRobinBalancerFactory>(
            sp => new WeightedRoundRobinBalancerFactory(sp.GetRequiredKeyedService<Random>(RobinhoodClientServiceCollectionExtensions.RandomKey))));
        return services;
    }
}
