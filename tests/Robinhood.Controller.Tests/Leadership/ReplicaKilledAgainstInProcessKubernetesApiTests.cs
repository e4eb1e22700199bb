using System.Net.Http.Json;
using System.Text.Json;
using Robinhood.Controller.Dashboard;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Persistence;
using Robinhood.V1;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Robinhood.Controller.Tests.Leadership.ShardedReplicas;

namespace Robinhood.Controller.Tests.Leadership;

/// <summary>
/// Three controller replicas as real processes sharing 24 services over six shard Leases on the in-process
/// Kubernetes API server, state in a real three-node Redis Cluster; one is killed with SIGKILL, so its Leases are
/// never released and must expire before anyone takes them.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ReplicaKilledAgainstInProcessKubernetesApiTests(ITestOutputHelper output)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly string[] Services = [.. Enumerable.Range(0, 24).Select(i => $"orders-{i:D2}")];

    [Fact]
    public async Task ReplicaKilled_ItsLeasesExpireUnreleased_TakenAfterExpiryWithinTwoRounds_StateRestoredFromRedisCluster()
    {
        await using var setup = await ShardedReplicas.StartAsync(Services, seed: 100);
        var replicas = new[] { "replica-a", "replica-b", "replica-c" }.Select(setup.StartReplicaProcess).ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            // Two shards each, each replica saying so itself (restored and owned, not only holding the Lease).
            await Eventually.TrueAsync(async () => setup.Holders().GroupBy(h => h).All(g => g.Count() == 2) && setup.Holders().Distinct().Count() == 3
                && (await Task.WhenAll(replicas.Select(r => OwnedAsync(http, r)))).Sum(o => o.Count) == Shards, TimeSpan.FromSeconds(90));
            using var agents = new ModelledAgents(setup.Fleets, i => replicas[i % 3].GrpcAddress);
            await agents.SteadyAsync();

            // SIGKILL the replica leading most services: nothing of it runs, its Leases stay as it last renewed them.
            var map = new ShardMap(Shards);
            var victim = replicas.MaxBy(r => Services.Count(s => setup.Lease(map.Of(s)).Spec.HolderIdentity == r.Identity))!;
            var victimShards = Enumerable.Range(0, Shards).Where(s => setup.Lease(s).Spec.HolderIdentity == victim.Identity).ToList();
            var moved = Services.Where(s => victimShards.Contains(map.Of(s))).ToList();
            var survivors = replicas.Where(r => r != victim).ToList();
            await using var connection = await setup.ConnectRedisAsync();
            var epochs = await EpochsAsync(connection.GetDatabase(), moved);
            agents.Move(victim.GrpcAddress, [.. survivors.Select(r => r.GrpcAddress)]);
            var killed = DateTimeOffset.UtcNow;
            await victim.KillAsync();
            var renewed = victimShards.ToDictionary(s => s, s => setup.Lease(s));
            Assert.All(renewed.Values, l => Assert.Equal(victim.Identity, l.Spec.HolderIdentity));

            // Led elsewhere: each shard's Lease taken by a survivor, which owns it (restored from Redis).
            await Eventually.TrueAsync(async () => victimShards.All(s => setup.Lease(s).Spec.HolderIdentity != victim.Identity)
                && (await Task.WhenAll(survivors.Select(r => OwnedAsync(http, r)))).SelectMany(o => o).Intersect(victimShards).Count() == victimShards.Count,
                LeaseDuration + TimeSpan.FromSeconds(10));
            var owned = DateTimeOffset.UtcNow;

            // Not before the Lease expired (its last renewal plus its duration), and within two rounds after: a survivor
            // sees the last renewal at its next round and the expiry at the first round a duration after that, rounds
            // 0.8-1.2 retry periods apart; the slack is the two rounds' own reads and writes on a loaded machine.
            var slack = TimeSpan.FromMilliseconds(500);
            var taken = new Dictionary<int, DateTimeOffset>();
            foreach (var shard in victimShards)
            {
                var lease = setup.Lease(shard);
                Assert.Contains(lease.Spec.HolderIdentity, survivors.Select(r => r.Identity));
                var expiry = new DateTimeOffset(renewed[shard].Spec.RenewTime!.Value, TimeSpan.Zero) + LeaseDuration;
                taken[shard] = new DateTimeOffset(lease.Spec.AcquireTime!.Value, TimeSpan.Zero);
                var after = taken[shard] - expiry;
                output.WriteLine($"shard {shard}: renewed by {victim.Identity} {(killed - expiry + LeaseDuration).TotalSeconds:F2} s before the kill, taken by {lease.Spec.HolderIdentity} {after.TotalSeconds:F2} s after its expiry");
                Assert.True(after > TimeSpan.Zero, $"shard {shard} was taken {-after} before its Lease expired");
                Assert.True(after < (2 * 1.2 * RetryPeriod) + slack, $"shard {shard} was taken {after} after its Lease expired");
            }

            // No lost state: every moved service claimed under a newer epoch; nothing computed from the new owners owning
            // (once restored, which this test saw at `owned`) to the grace after their taking the Lease; their first
            // weights after it continue the killed replica's, the endpoints ACTIVE (not warming again as new ones).
            var claimed = await EpochsAsync(connection.GetDatabase(), moved);
            Assert.All(moved, s => Assert.True(claimed[s] > epochs[s], $"{s} not claimed again"));
            await Task.Delay(Grace + TimeSpan.FromSeconds(3));
            var (early, largest, compared) = agents.Handovers(moved, s => (killed, owned, taken[map.Of(s)] + Grace));
            Assert.All(agents.Agents.Where(a => moved.Contains(a.Fleet.Service)), a => Assert.All(a.Latest!.Endpoints, e => Assert.Equal(EndpointState.Active, e.State)));
            output.WriteLine($"{moved.Count} services of shards {string.Join(", ", victimShards)} led elsewhere {(owned - killed).TotalSeconds:F2} s after the SIGKILL; {early} snapshots before the grace; largest share change {largest:P2} ({compared} with new weights since)");
            Assert.Equal(0, early);
            Assert.True(compared > 0, "no moved service was given new weights by its new owner");
            Assert.True(largest < 0.02, $"the new owners' first weights moved {largest:P2} from the killed owner's last");
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    /// <summary>The shards a replica says it owns on <c>/api/shards</c>.</summary>
    private static async Task<IReadOnlyList<int>> OwnedAsync(HttpClient http, ReplicaProcess replica)
    {
        try
        {
            var view = await http.GetFromJsonAsync<ShardsView>(replica.HttpAddress + "/api/shards", Json);
            return [.. view!.Shards.Where(s => s.Owned).Select(s => s.Shard)];
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }
}
