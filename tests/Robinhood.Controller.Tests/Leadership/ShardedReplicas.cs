using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Kubernetes;
using Robinhood.Controller.Tests.Persistence;
using StackExchange.Redis;

namespace Robinhood.Controller.Tests.Leadership;

/// <summary>
/// What the sharded-replica tests run on: the in-process Kubernetes API server holding each service's EndpointSlice,
/// a real Redis (a three-node Redis Cluster, or one redis-server) and a modelled fleet of four endpoints per service;
/// and how they run a replica on it: six shards on the API server's short Leases, state in that Redis, a 200 ms tick
/// and a 2 s grace, in this process or as its own.
/// </summary>
internal sealed class ShardedReplicas : IAsyncDisposable
{
    public const string Namespace = "robinhood";
    public const int Shards = 6;

    // As FakeKubernetesApiServer.ControllerArgs sets them.
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan RetryPeriod = TimeSpan.FromMilliseconds(500);

    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    private readonly IAsyncDisposable _redis;

    private ShardedReplicas(FakeKubernetesApiServer api, IAsyncDisposable redis, string redisAddress, IReadOnlyList<string> services, IReadOnlyList<ModelledService> fleets)
    {
        Api = api;
        _redis = redis;
        Redis = redisAddress;
        Services = services;
        Fleets = fleets;
    }

    public FakeKubernetesApiServer Api { get; }

    /// <summary>The Redis connection string the replicas are given.</summary>
    public string Redis { get; }

    public IReadOnlyList<string> Services { get; }

    /// <summary>One modelled fleet per service, in the order of <see cref="Services"/>, seeded from the seed given on.</summary>
    public IReadOnlyList<ModelledService> Fleets { get; }

    /// <summary>Starts the API server with the services' EndpointSlices and the Redis: a Redis Cluster, or one redis-server.</summary>
    public static async Task<ShardedReplicas> StartAsync(IReadOnlyList<string> services, int seed, bool redisCluster = true)
    {
        ArgumentNullException.ThrowIfNull(services);
        var api = await FakeKubernetesApiServer.StartAsync();
        try
        {
            IAsyncDisposable redis;
            string address;
            if (redisCluster)
            {
                var cluster = await RedisCluster.StartAsync();
                (redis, address) = (cluster, cluster.ConnectionString);
            }
            else
            {
                var server = await RedisServer.StartAsync();
                (redis, address) = (server, server.ConnectionString);
            }

            var fleets = services.Select((s, i) => new ModelledService(s, 4, seed: seed + i)).ToArray();
            foreach (var fleet in fleets)
            {
                api.PutEndpointSlice(FakeKubernetesApiServer.Slice(Namespace, fleet.Service + "-1", fleet.Service, 8080,
                    [.. fleet.Endpoints.Select(e => (e[..e.LastIndexOf(':')], "zone-a"))]));
            }

            return new ShardedReplicas(api, redis, address, services, fleets);
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
    }

    public Task<ConnectionMultiplexer> ConnectRedisAsync() => ConnectionMultiplexer.ConnectAsync(Redis);

    /// <summary>
    /// Each service's epoch in Redis, read at once and asynchronously: a synchronous read holds a thread-pool thread
    /// while it waits, and in a process running replicas on a starved pool it timed out (syncTimeout) with the
    /// answer queued behind that pool.
    /// </summary>
    public static async Task<Dictionary<string, long>> EpochsAsync(IDatabase db, IReadOnlyList<string> services)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(services);
        var epochs = await Task.WhenAll(services.Select(s => db.StringGetAsync($"robinhood:{{{s}}}:epoch")));
        return services.Zip(epochs).ToDictionary(e => e.First, e => (long)e.Second);
    }

    /// <summary>A replica's arguments beside its listen addresses: Kubernetes on, the services, the shards, Redis, the loop.</summary>
    public string[] Args(string identity) =>
    [
        .. Api.ControllerArgs(Namespace, identity),
        .. Services.Select((s, i) => $"--Robinhood:Kubernetes:Services:{i}={s}"),
        $"--Robinhood:Leadership:Shards={Shards}",
        $"--ConnectionStrings:Redis={Redis}",
        "--Robinhood:Redis:ResyncInterval=00:00:00.500",
        "--Robinhood:Control:Interval=00:00:00.200",
        "--Robinhood:Control:WarmUp=00:00:02",
        $"--Robinhood:Control:StartupGrace={Grace}",
    ];

    /// <summary>A replica in this process.</summary>
    public Task<RunningController> StartReplicaAsync(string identity) => RunningController.StartAsync(null, Args(identity));

    /// <summary>A replica as its own process, which can be killed.</summary>
    public ReplicaProcess StartReplicaProcess(string identity) => StartReplicaProcess(identity, []);

    /// <summary>A replica as its own process, with <paramref name="more"/> after its arguments (they win).</summary>
    public ReplicaProcess StartReplicaProcess(string identity, string[] more) => new(identity, [.. Args(identity), .. more]);

    /// <summary>The shard's Lease as the API server holds it now.</summary>
    public V1Lease Lease(int shard) => Lease(Api, shard);

    /// <summary>The holders of the shard Leases that exist and are held.</summary>
    public List<string> Holders() =>
        [.. Enumerable.Range(0, Shards).Select(s => Api.Lease(Namespace, LeaseName(s))?.Spec.HolderIdentity).OfType<string>().Where(h => h.Length > 0)];

    /// <summary>The shard's Lease on <paramref name="api"/> (a replica created it).</summary>
    public static V1Lease Lease(FakeKubernetesApiServer api, int shard)
    {
        ArgumentNullException.ThrowIfNull(api);
        return api.Lease(Namespace, LeaseName(shard)) ?? throw new InvalidOperationException($"no Lease for shard {shard}");
    }

    /// <summary>The shards an in-process replica owns.</summary>
    public static Ownership Ownership(RunningController replica)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return replica.App.Services.GetRequiredService<Ownership>();
    }

    /// <summary>A replica's shard election (its rounds count on its clock).</summary>
    public static ShardElection Election(RunningController replica)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return replica.App.Services.GetServices<IHostedService>().OfType<ShardElection>().Single();
    }

    public async ValueTask DisposeAsync()
    {
        await _redis.DisposeAsync();
        await Api.DisposeAsync();
    }

    private static string LeaseName(int shard) => $"robinhood-controller-{shard}";
}
