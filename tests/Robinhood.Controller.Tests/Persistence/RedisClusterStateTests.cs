using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Controller.Control;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Persistence;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.V1;
using StackExchange.Redis;

namespace Robinhood.Controller.Tests.Persistence;

/// <summary>
/// State in a real three-node Redis Cluster: several services whose keys land on different nodes, written,
/// followed, restored and fenced, each service's writes in its own slot; and the key layout before the
/// hash tags read once by a new leader.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisClusterStateTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    // Six names whose hash slots spread over the three masters (orders on the first, search and payments on the second; asserted below).
    private static readonly string[] Services = ["checkout", "cart", "search", "payments", "orders", "team/ads-v2"];

    [Fact]
    public async Task Tick_SixServicesOnRedisCluster_EachServiceInOneSlotAcrossNodes_LoadsBackAndReachesFollower()
    {
        await using var cluster = await RedisCluster.StartAsync();
        var followerTime = new FakeTimeProvider();
        await using var follower = await RedisStateTests.StartAsync(cluster.ConnectionString, followerTime);
        follower.App.Services.GetRequiredService<Ownership>().Release(0, "test: the other replica leads");
        var time = new FakeTimeProvider(followerTime.GetUtcNow());
        await using var leader = await RedisStateTests.StartAsync(cluster.ConnectionString, time);
        var fleets = Fleets(seed: 11);
        using var stream = new ReportStream(leader.Reporter);

        var last = await RunAsync(leader, time, fleets, stream, ticks: 12);
        var stored = await StoredAsync(leader, last);

        var fleet = leader.App.Services.GetRequiredService<Fleet>();
        foreach (var service in Services)
        {
            Assert.Equal(last[service], stored[service].Snapshot);
            Assert.Equal(fleet.Capture(service)!.Endpoints, stored[service].State!.Endpoints);
        }

        await using var connection = await cluster.ConnectAsync();
        var nodes = new HashSet<int>();
        foreach (var service in Services)
        {
            RedisKey[] keys = [$"robinhood:{{{service}}}:snapshot", $"robinhood:{{{service}}}:state", $"robinhood:{{{service}}}:epoch"];
            Assert.Single(keys.Select(k => connection.HashSlot(k)).Distinct());
            var exist = await Task.WhenAll(keys.Select(k => connection.GetDatabase().KeyExistsAsync(k)));
            Assert.All(keys.Zip(exist), k => Assert.True(k.Second, $"{k.First} missing"));
            nodes.Add(RedisCluster.NodeOf(connection, keys[0]));
        }

        Assert.Equal(3, nodes.Count);

        // The follower takes every service's newest snapshot from the cluster (pub/sub and resync).
        await RedisStateTests.Eventually(() => Task.FromResult(Services.All(s => follower.Snapshots.Get(s).Version == last[s].Version)));
    }

    [Fact]
    public async Task Restart_SameRedisCluster_PublishesEveryRestoredSnapshotAtOnceUnderHigherVersions()
    {
        await using var cluster = await RedisCluster.StartAsync();
        var fleets = Fleets(seed: 12);
        var time = new FakeTimeProvider();
        Dictionary<string, WeightSnapshot> before;
        await using (var first = await RedisStateTests.StartAsync(cluster.ConnectionString, time))
        {
            using var stream = new ReportStream(first.Reporter);
            before = await RunAsync(first, time, fleets, stream, ticks: 30);
            await StoredAsync(first, before);
        }

        time.Advance(TimeSpan.FromSeconds(3));
        await using var second = await RedisStateTests.StartAsync(cluster.ConnectionString, time);
        Assert.Equal(2, await second.App.Services.GetRequiredService<StateStore>().CurrentEpochAsync());
        foreach (var service in Services)
        {
            var restored = second.Snapshots.Get(service);
            Assert.True(restored.Version > before[service].Version, $"{service}: version {restored.Version} must be above {before[service].Version}");
            Assert.Equal(ModelledService.Weights(before[service]), ModelledService.Weights(restored));
        }

        using var again = new ReportStream(second.Reporter);
        var after = await RunAsync(second, time, fleets, again, ticks: 1);
        foreach (var service in Services)
        {
            Assert.True(after[service].Version > before[service].Version);
            var change = ModelledService.MaxRelativeChange(before[service], after[service]);
            Assert.True(change < 0.05, $"{service}: weights moved {change:P1} across the restart");
        }
    }

    [Fact]
    public async Task DeposedLeader_OnRedisCluster_EveryServiceWriteRefusedAndStopsLeading()
    {
        await using var cluster = await RedisCluster.StartAsync();
        var fleets = Fleets(seed: 13);
        var timeA = new FakeTimeProvider();
        await using var a = await RedisStateTests.StartAsync(cluster.ConnectionString, timeA);
        using var streamA = new ReportStream(a.Reporter);
        var fromA = await RunAsync(a, timeA, fleets, streamA, ticks: 3);
        await StoredAsync(a, fromA);

        var timeB = new FakeTimeProvider(timeA.GetUtcNow() + TimeSpan.FromMinutes(1));
        await using var b = await RedisStateTests.StartAsync(cluster.ConnectionString, timeB);
        var store = b.App.Services.GetRequiredService<StateStore>();
        Assert.Equal(2, await store.CurrentEpochAsync());
        var held = (await store.LoadAsync()).ToDictionary(s => s.Service, s => s.State!.Endpoints);

        // A still believes it leads: its write is refused, and it steps down (its services leave its fleet).
        var fleet = a.App.Services.GetRequiredService<Fleet>();
        var late = Services.Select(s => new ServiceRecord(s, null, fleet.Capture(s)!, Announce: false)).ToList();
        Assert.False(await a.App.Services.GetRequiredService<StateWriter>().WriteAsync());
        Assert.False(a.App.Services.GetRequiredService<Ownership>().Owned.ContainsKey(0));

        // Past the epoch check too (as if it raced B's increment): each service B claimed refuses epoch 1 in its own slot.
        await using var connection = await cluster.ConnectAsync();
        await connection.GetDatabase().StringSetAsync("robinhood:epoch", 1);
        Assert.False(await store.WriteAsync(1, late));
        var now = (await store.LoadAsync()).ToDictionary(s => s.Service, s => s.State!.Endpoints);
        Assert.Equal(Services.Order(), now.Keys.Order());
        Assert.All(Services, s => Assert.Equal(held[s], now[s]));
    }

    [Fact]
    public async Task Takeover_KeysOfTheLayoutBeforeHashTags_ReadOnceAndWrittenUnderTheNewKeys()
    {
        await using var redis = await RedisServer.StartAsync();
        var fleet = new ModelledService("checkout", 6, seed: 14);
        var time = new FakeTimeProvider();
        WeightSnapshot before;
        await using (var first = await RedisStateTests.StartAsync(redis, time))
        {
            using var stream = new ReportStream(first.Reporter);
            before = await RedisStateTests.RunAsync(first, time, fleet, stream, ticks: 20);
            await RedisStateTests.StoredAsync(first, before.Version);
        }

        // What a controller before the hash tags left: snapshot:<service> and state:<service>, no service epoch.
        await using (var connection = await redis.ConnectAsync())
        {
            var db = connection.GetDatabase();
            await db.KeyRenameAsync("robinhood:{checkout}:snapshot", "robinhood:snapshot:checkout");
            await db.KeyRenameAsync("robinhood:{checkout}:state", "robinhood:state:checkout");
            await db.KeyDeleteAsync("robinhood:{checkout}:epoch");
        }

        time.Advance(TimeSpan.FromSeconds(3));
        await using var second = await RedisStateTests.StartAsync(redis, time);
        var restored = second.Snapshots.Get("checkout");
        Assert.True(restored.Version > before.Version);
        Assert.Equal(ModelledService.Weights(before), ModelledService.Weights(restored));

        using var again = new ReportStream(second.Reporter);
        var after = await RedisStateTests.RunAsync(second, time, fleet, again, ticks: 1);
        Assert.True(ModelledService.MaxRelativeChange(before, after) < 0.05);
        var stored = await RedisStateTests.StoredAsync(second, after.Version);
        Assert.Equal(after, stored.Snapshot);
    }

    private static Dictionary<string, ModelledService> Fleets(int seed) =>
        Services.Select((s, i) => new ModelledService(s, 5, seed * 10 + i)).ToDictionary(f => f.Service);

    /// <summary>Reports every modelled service under its current weights and ticks, <paramref name="ticks"/> times.</summary>
    private static async Task<Dictionary<string, WeightSnapshot>> RunAsync(
        RunningController controller, FakeTimeProvider time, Dictionary<string, ModelledService> fleets, ReportStream stream, int ticks)
    {
        for (var i = 0; i < ticks; i++)
        {
            foreach (var fleet in fleets.Values)
            {
                foreach (var report in fleet.Reports(ModelledService.Weights(controller.Snapshots.Get(fleet.Service))))
                {
                    var ack = await stream.SendAsync(report);
                    Assert.True(ack.Accepted, ack.Error);
                }
            }

            await controller.TickAsync(time, Interval);
        }

        return fleets.Keys.ToDictionary(s => s, controller.Snapshots.Get);
    }

    /// <summary>Waits until Redis holds every service's snapshot of the given version (the writer runs after the tick).</summary>
    private static async Task<Dictionary<string, StoredService>> StoredAsync(RunningController controller, Dictionary<string, WeightSnapshot> expected)
    {
        var store = controller.App.Services.GetRequiredService<StateStore>();
        Dictionary<string, StoredService> stored = [];
        await RedisStateTests.Eventually(async () =>
        {
            stored = (await store.LoadAsync()).ToDictionary(s => s.Service);
            return expected.All(e => stored.TryGetValue(e.Key, out var s) && s.Snapshot?.Version == e.Value.Version);
        });
        return stored;
    }
}
