using Microsoft.Extensions.DependencyInjection;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Kubernetes;
using static Robinhood.Controller.Tests.Leadership.ShardedReplicas;

namespace Robinhood.Controller.Tests.Leadership;

/// <summary>
/// The shard election against an in-process Kubernetes API server that takes 350 ms to answer each Lease request
/// (a loaded API server, or a replica short of CPU), with the tests' 2 s RenewDeadline per round: six reads one
/// after the other (2.1 s) would use the whole round before a single renewal.
/// </summary>
public sealed class ShardElectionOnSlowKubernetesApiTests
{
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(350);

    [Fact]
    public async Task SixShards_EachLeaseCallTakes350ms_TakenInTheFirstRounds_HeldUnchangedThroughEightRounds()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync();
        api.LeaseLatency = Latency;
        await using var replica = await RunningController.StartAsync(null,
            [.. api.ControllerArgs(Namespace, "replica-a"), $"--Robinhood:Leadership:Shards={Shards}", "--Robinhood:Kubernetes:Services:0=checkout"]);
        var ownership = replica.App.Services.GetRequiredService<Ownership>();
        var election = Election(replica);

        await Eventually.TrueAsync(() => ownership.Owned.Count == Shards, TimeSpan.FromSeconds(30));
        var held = ownership.Owned.Values.ToHashSet();
        var renewed = Enumerable.Range(0, Shards).Select(s => Lease(api, s)!.Spec.RenewTime).ToList();

        // Eight more rounds: every shard still owned as it was taken (a shard lost and taken again is a new
        // OwnedShard), every Lease still this replica's and renewed since, never handed over.
        var rounds = election.Rounds;
        await Eventually.TrueAsync(() => ownership.Owned.Count == Shards && election.Rounds >= rounds + 8, TimeSpan.FromSeconds(30));
        Assert.True(held.SetEquals(ownership.Owned.Values), "a shard was lost and taken again");
        for (var s = 0; s < Shards; s++)
        {
            var lease = Lease(api, s)!;
            Assert.Equal("replica-a", lease.Spec.HolderIdentity);
            Assert.True(lease.Spec.RenewTime > renewed[s], $"shard {s} not renewed");
            Assert.Equal(0, lease.Spec.LeaseTransitions);
        }
    }
}
