using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Robinhood.Controller.Control;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Persistence;
using Robinhood.V1;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Robinhood.Controller.Tests.Leadership.ShardedReplicas;

namespace Robinhood.Controller.Tests.Leadership;

/// <summary>
/// Controller replicas on one machine sharing 60 services over six shard Leases on the in-process Kubernetes
/// API server, membership from its EndpointSlices, state in a real three-node Redis Cluster (each service's keys
/// in its own slot, the 60 services' slots spread over the three masters).
/// Agents report each service to one replica, most often one that does not control it.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ShardsAcrossReplicasAgainstInProcessKubernetesApiTests(ITestOutputHelper output)
{
    // Rendezvous hashing puts 8, 12, 9, 11, 11 and 9 of these names in the six shards, so any two shards hold
    // 17-23 services: what is tested is that replicas share the shards evenly, not how evenly names hash.
    private static readonly string[] Services = [.. Enumerable.Range(0, 60).Select(i => $"catalog-{i:D2}")];

    [Fact]
    public async Task ThreeReplicas_EachLeadsAThird_OneStopped_ItsShardsMoveWithinTheLease_ReportsReachOwners_FourthTakesShards()
    {
        await using var setup = await ShardedReplicas.StartAsync(Services, seed: 0);
        var replicas = new List<RunningController>();
        try
        {
            foreach (var identity in new[] { "replica-a", "replica-b", "replica-c" })
            {
                replicas.Add(await setup.StartReplicaAsync(identity));
            }

            // Each holds two of the six shards, every shard exactly one owner.
            await Eventually.TrueAsync(() => Balanced(replicas, 2), TimeSpan.FromSeconds(60));
            using var agents = new ModelledAgents(setup.Fleets, i => replicas[i % 3].GrpcAddress);
            await agents.SteadyAsync();

            // Each replica leads a third; every report was applied by its service's owner, wherever it was sent.
            // (Reports are refused, to be retried, only while shards change hands or membership is being listed.)
            var (accepted, refused) = (agents.Agents.Sum(a => a.Accepted), agents.Agents.Sum(a => a.Refused));
            var led = replicas.Select(r => Services.Count(Ownership(r).Owns)).ToList();
            output.WriteLine($"services led per replica: {string.Join(", ", led)}");
            Assert.All(led, n => Assert.InRange(n, 15, 25));
            var elsewhere = agents.Agents.Count(a => !Ownership(replicas.Single(r => r.GrpcAddress == a.Address)).Owns(a.Fleet.Service));
            Assert.InRange(elsewhere, 30, 50);
            foreach (var fleet in setup.Fleets)
            {
                var owner = replicas.Single(r => Ownership(r).Owns(fleet.Service));
                var heard = owner.App.Services.GetRequiredService<Fleet>().Capture(fleet.Service)!.Endpoints;
                Assert.Equal(4, heard.Count(e => e.Reported && DateTimeOffset.UtcNow - e.LastReportAt < TimeSpan.FromSeconds(2)));
                Assert.All(replicas.Where(r => r != owner), r => Assert.Null(r.App.Services.GetRequiredService<Fleet>().Capture(fleet.Service)));
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
            output.WriteLine($"reports refused before the shards settled: {refused}; accepted since: {agents.Agents.Sum(a => a.Accepted) - accepted}");
            Assert.Equal(refused, agents.Agents.Sum(a => a.Refused));
            Assert.True(agents.Agents.Sum(a => a.Accepted) - accepted >= 240, "a second of reports, four endpoints of 60 services at least once");
            AssertLeasesMatch(setup, replicas);

            // Every service's state is in the cluster, in its own slot, the services spread over all three masters.
            await using (var connection = await setup.ConnectRedisAsync())
            {
                var keys = Services.Select(s => (RedisKey)$"robinhood:{{{s}}}:state").ToList();
                var db = connection.GetDatabase();
                var exist = await Task.WhenAll(keys.Select(k => db.KeyExistsAsync(k)));
                Assert.All(keys.Zip(exist), k => Assert.True(k.Second, $"{k.First} missing"));
                Assert.Equal(3, keys.Select(k => RedisCluster.NodeOf(connection, k)).Distinct().Count());
            }

            // Stop replica C: its services are led by A and B within the lease duration.
            var victim = replicas[2];
            var moved = Services.Where(Ownership(victim).Owns).ToList();
            var survivors = replicas.Take(2).ToList();
            agents.Move(victim.GrpcAddress, [.. survivors.Select(r => r.GrpcAddress)]);
            var stopped = Stopwatch.StartNew();
            var stopping = victim.DisposeAsync().AsTask();
            replicas.Remove(victim);
            await Eventually.TrueAsync(() => moved.All(s => survivors.Any(r => Ownership(r).Owns(s))), LeaseDuration + TimeSpan.FromSeconds(2));
            var takeover = stopped.Elapsed;
            await stopping.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(takeover < LeaseDuration, $"the stopped replica's services were led elsewhere after {takeover}");
            await Eventually.TrueAsync(() => Balanced(survivors, 3), TimeSpan.FromSeconds(30));

            // Nothing of theirs published before the grace; what is published after it continues the old owner's weights.
            var since = moved.ToDictionary(s => s, s =>
            {
                var ownership = Ownership(survivors.Single(r => Ownership(r).Owns(s)));
                return ownership.Owned[ownership.Map.Of(s)].Since;
            });
            await Task.Delay(Grace + TimeSpan.FromSeconds(3));
            var (early, largest, _) = agents.Handovers(moved, s => (since[s], since[s], since[s] + Grace));
            output.WriteLine($"{moved.Count} services led elsewhere {takeover.TotalSeconds:F2} s after the stop; {early} snapshots before the grace; largest share change {largest:P2}");
            Assert.Equal(0, early);
            Assert.True(largest < 0.02, $"the new owners' first weights moved {largest:P2} from the old owner's last");

            // A fourth replica joins and takes shards from the others; reports for its services reach it.
            var fourth = await setup.StartReplicaAsync("replica-d");
            replicas.Add(fourth);
            var all = survivors.Append(fourth).ToList();
            await Eventually.TrueAsync(() => Ownership(fourth).Owned.Count > 0 && Balanced(all, 1, 2), TimeSpan.FromSeconds(30));
            var taken4 = Services.Where(Ownership(fourth).Owns).ToList();
            output.WriteLine($"the fourth replica took shards {string.Join(", ", Ownership(fourth).Owned.Keys)} ({taken4.Count} services)");
            await Eventually.TrueAsync(() => taken4.All(s => fourth.App.Services.GetRequiredService<Fleet>().Capture(s)?.Endpoints
                .Count(e => e.Reported && e.LastReportAt > Ownership(fourth).Owned[Ownership(fourth).Map.Of(s)].Since) == 4), TimeSpan.FromSeconds(20));
            AssertLeasesMatch(setup, all);
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    /// <summary>Every shard owned by exactly one of the replicas, each holding between <paramref name="min"/> and <paramref name="max"/>.</summary>
    private static bool Balanced(IReadOnlyList<RunningController> replicas, int min, int? max = null)
    {
        var owned = replicas.Select(r => Ownership(r).Owned.Keys.ToList()).ToList();
        return owned.SelectMany(o => o).Order().SequenceEqual(Enumerable.Range(0, Shards))
            && owned.All(o => o.Count >= min && o.Count <= (max ?? min));
    }

    private static void AssertLeasesMatch(ShardedReplicas setup, IReadOnlyList<RunningController> replicas)
    {
        for (var shard = 0; shard < Shards; shard++)
        {
            var owner = replicas.Single(r => Ownership(r).Owned.ContainsKey(shard));
            Assert.Equal(owner.GrpcAddress, setup.Lease(shard).Metadata.Annotations[ShardElection.AddressAnnotation]);
        }
    }
}
