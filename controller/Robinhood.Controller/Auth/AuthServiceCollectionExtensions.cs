using Robinhood.Controller.Publish;
using Robinhood.Controller.Xds;

namespace Robinhood.Controller.Auth;

/// <summary>Registers agent authentication (<c>Robinhood:Auth</c>) and read access (<c>Robinhood:Read</c>).</summary>
public static class AuthServiceCollectionExtensions
{
    public static IServiceCollection AddAgentAuthentication(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AgentAuthenticator>();
        services.AddSingleton<TokenReviewer>();
        services.AddSingleton<NodePods>();
        services.AddOptions<ReadOptions>().BindConfiguration(ReadOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ReadAccess>();
        services.AddGrpc()
            .AddServiceOptions<WeightDiscoveryService>(o => o.Interceptors.Add<ReadAccessInterceptor>())
            .AddServiceOptions<AggregatedDiscovery>(o => o.Interceptors.Add<ReadAccessInterceptor>())
            .AddServiceOptions<EndpointDiscovery>(o => o.Interceptors.Add<ReadAccessInterceptor>());
        return services;
    }
}
