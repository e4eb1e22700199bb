using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Robinhood.Controller.Leadership;

/// <summary>
/// Registers who leads: a Lease election when <c>Robinhood:Kubernetes:Enabled</c>, otherwise this
/// process leads from start (after restoring from Redis).
/// </summary>
public static class LeadershipServiceCollectionExtensions
{
    public static IServiceCollection AddLeadership(this IServiceCollection services, bool elected)
    {
        services.AddOptions<LeadershipOptions>().BindConfiguration(LeadershipOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(Random.Shared);
        services.AddSingleton<LeaderRole>();
        services.AddSingleton<LeaderTakeover>();
        services.AddSingleton<ReportForwarder>();
        if (elected)
        {
            services.AddHostedService<LeaseElection>();
        }
        else
        {
            services.AddHostedService<StandaloneLeadership>();
        }

        return services;
    }
}
