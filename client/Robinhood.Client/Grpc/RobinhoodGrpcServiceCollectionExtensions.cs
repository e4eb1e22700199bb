using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Robinhood.Client.Grpc;
using Robinhood.Client.Subscription;

namespace Microsoft.Extensions.DependencyInjection;

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

    /// <summary>As <see cref="AddRobinhoodGrpc(IServiceCollection)"/>, with the client's options set in code.</summary>
    public static IServiceCollection AddRobinhoodGrpc(this IServiceCollection services, Action<RobinhoodClientOptions> configure) =>
        services.AddRobinhoodClient(configure).AddRobinhoodGrpc();
}
