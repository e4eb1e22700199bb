namespace Robinhood.Controller.Auth;

/// <summary>Registers agent authentication (<c>Robinhood:Auth</c>).</summary>
public static class AuthServiceCollectionExtensions
{
    public static IServiceCollection AddAgentAuthentication(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AgentAuthenticator>();
        services.AddSingleton<TokenReviewer>();
        services.AddSingleton<NodePods>();
        return services;
    }
}
