using Microsoft.Extensions.Time.Testing;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Kubernetes;
using static Robinhood.Controller.Tests.Leadership.ShardedReplicas;

namespace Robinhood.Controller.Tests.Leadership;

/// <summary>
/// The shard election on fake clocks, each replica its own, against the in-process Kubernetes API server (Leases of
/// 3 s, rounds every 0.5 s jittered to 0.4-0.6 s): a step advances one replica's clock by 0.6 s, the longest wait,
/// and waits for the round that came due, so every hand-back, renewal and expiry lands on a known round.
/// </summary>
public sealed class ShardElectionOnFakeClockTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(600);

    [Fact]
    public async Task TwoReplicas_HandBackInOneRoundEach_RenewedEveryRound_TakenAtTheFirstRoundPastTheLeaseDuration()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync();
        var (timeA, timeB) = (new FakeTimeProvider(), new FakeTimeProvider());

        // Alone, A takes both shards in its first round.
        await using var a = await StartAsync(api, "replica-a", timeA);
        await Eventually.TrueAsync(() => Election(a).Rounds >= 1 && Ownership(a).Owned.Count == 2, TimeSpan.FromSeconds(10));
        Assert.All([0, 1], s => Assert.Equal("replica-a", Lease(api, s).Spec.HolderIdentity));

        // B's first round finds both held, none its own and A two more: it asks for one through spec.preferredHolder.
        await using var b = await StartAsync(api, "replica-b", timeB);
        await Eventually.TrueAsync(() => Election(b).Rounds >= 1, TimeSpan.FromSeconds(10));
        var asked = Assert.Single([0, 1], s => Lease(api, s).Spec.PreferredHolder == "replica-b");
        var kept = 1 - asked;

        // A's next round hands it back; B's next round takes it.
        await StepAsync(a, timeA);
        Assert.Equal("", Lease(api, asked).Spec.HolderIdentity);
        Assert.Equal([kept], Ownership(a).Owned.Keys);
        await StepAsync(b, timeB);
        Assert.Equal("replica-b", Lease(api, asked).Spec.HolderIdentity);
        Assert.Equal(timeB.GetUtcNow(), Time(Lease(api, asked).Spec.AcquireTime));
        await Eventually.TrueAsync(() => Ownership(b).Owned.ContainsKey(asked), TimeSpan.FromSeconds(10));

        // Each holder renews at every round, dated by its own clock; B never takes A's shard while A renews.
        for (var round = 0; round < 10; round++)
        {
            await StepAsync(a, timeA);
            Assert.Equal(timeA.GetUtcNow(), Time(Lease(api, kept).Spec.RenewTime));
            await StepAsync(b, timeB);
            Assert.Equal(timeB.GetUtcNow(), Time(Lease(api, asked).Spec.RenewTime));
            Assert.Equal("replica-a", Lease(api, kept).Spec.HolderIdentity);
        }

        // A stops renewing (its clock stands still: a hung process, its Lease not released). B saw the last renewal in
        // its last round; the Lease lasts 3 s from there on B's clock: its rounds at +0.6 to +3.0 s leave it, the one
        // at +3.6 s takes it.
        var lastSeen = timeB.GetUtcNow();
        for (var round = 1; round <= 5; round++)
        {
            await StepAsync(b, timeB);
            Assert.Equal("replica-a", Lease(api, kept).Spec.HolderIdentity);
            Assert.False(Ownership(b).Owned.ContainsKey(kept), $"taken {timeB.GetUtcNow() - lastSeen} after the last renewal seen");
        }

        await StepAsync(b, timeB);
        Assert.Equal("replica-b", Lease(api, kept).Spec.HolderIdentity);
        Assert.Equal(lastSeen + TimeSpan.FromSeconds(3.6), Time(Lease(api, kept).Spec.AcquireTime));
        await Eventually.TrueAsync(() => Ownership(b).Owned.Count == 2, TimeSpan.FromSeconds(10));

        // A resumes: its first round finds the Lease held by B and stops owning the shard.
        Assert.Equal([kept], Ownership(a).Owned.Keys);
        await StepAsync(a, timeA);
        Assert.Empty(Ownership(a).Owned);
    }

    private static DateTimeOffset Time(DateTime? time) => new(DateTime.SpecifyKind(time!.Value, DateTimeKind.Utc));

    /// <summary>Advances the replica's clock by the longest jittered wait and waits for the round that came due.</summary>
    private static async Task StepAsync(RunningController replica, FakeTimeProvider time)
    {
        var rounds = Election(replica).Rounds;
        time.Advance(Step);
        await Eventually.TrueAsync(() => Election(replica).Rounds > rounds, TimeSpan.FromSeconds(10));
    }

    private static Task<RunningController> StartAsync(FakeKubernetesApiServer api, string identity, FakeTimeProvider time) =>
        RunningController.StartAsync(time, [.. api.ControllerArgs(ShardedReplicas.Namespace, identity), "--Robinhood:Leadership:Shards=2", "--Robinhood:Kubernetes:Services:0=checkout"]);
}
