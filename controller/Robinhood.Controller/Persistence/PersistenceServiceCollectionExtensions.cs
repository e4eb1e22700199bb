using Robinhood.Controller.Leadership;

namespace Robinhood.Controller.Persistence;

/// <summary>Registers Redis state: the connection, the store, the shard owners' writer and every replica's snapshot feed.</summary>
public static class PersistenceServiceCollectionExtensions
{
    public static IServiceCollection AddRedisState(this IServiceCollection services)
    {
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RedisConnection>();
        services.AddSingleton<StateStore>();
        services.AddSingleton<FollowedState>();
        services.AddShardWork<StateWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<StateWriter>());
        services.AddHostedService<SnapshotFeed>();
        return services;
    }
}
