using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Robinhood.Controller.Leadership;

/// <summary>
/// Registers who owns which shards: an election on one Lease per shard when <c>Robinhood:Kubernetes:Enabled</c>, otherwise this
/// process owns every shard from start (after restoring from Redis).
/// </summary>
public static class LeadershipServiceCollectionExtensions
{
    public static IServiceCollection AddLeadership(this IServiceCollection services, bool elected)
    {
        services.AddOptions<LeadershipOptions>().BindConfiguration(LeadershipOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(Random.Shared);
        services.AddSingleton(sp => new ShardMap(sp.GetRequiredService<IOptions<LeadershipOptions>>().Value.Shards));
        services.AddSingleton<Ownership>();
        services.AddSingleton<LeaderTakeover>();
        services.AddSingleton<ReportForwarder>();
        if (elected)
        {
            services.AddHostedService<ShardElection>();
        }
        else
        {
            services.AddHostedService<StandaloneLeadership>();
        }

        return services;
    }

    /// <summary>Registers <typeparamref name="T"/> (once, a singleton) as work that runs only for the shards this replica owns.</summary>
    public static IServiceCollection AddShardWork<T>(this IServiceCollection services)
        where T : class, IShardWork
    {
        services.TryAddSingleton<T>();
        services.AddSingleton<IShardWork>(sp => sp.GetRequiredService<T>());
        return services;
    }
}
