using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Control.Persistence;
using Robinhood.Controller.Control;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Persistence;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Kubernetes;
using Robinhood.Controller.Tests.Persistence;
using Robinhood.V1;
using static Robinhood.Controller.Tests.Leadership.ShardedReplicas;

namespace Robinhood.Controller.Tests.Leadership;

/// <summary>
/// A replica taking the lead on a real redis-server: it acts on nothing partial. The lease is a real Lease
/// on the in-process Kubernetes API; each replica's loop and election run on its own fake clock.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class TakeoverWithRedisTests
{
    private const string Namespace = "robinhood";
    private const string Service = "checkout";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly string[] Endpoints = ["10.1.0.1:8080", "10.1.0.2:8080", "10.1.0.3:8080", "10.1.0.4:8080"];

    [Fact]
    public async Task FollowerUpForAMinute_TakesLead_ControlsNothingUntilGraceAndReportsCoverTheService()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        api.PutEndpointSlice(FakeKubernetesApiServer.Slice(Namespace, "checkout-abc", Service, 8080,
            [.. Endpoints.Select(e => (e[..e.LastIndexOf(':')], "zone-a"))]));

        // The old leader controls four endpoints for a while. Each replica's loop and election run on its own fake
        // clock: a step advances one second and waits for the election's round on it.
        var timeA = new FakeTimeProvider();
        var a = await StartReplicaAsync(api, redis, "replica-a", timeA);
        await Eventually(() => a.App.Services.GetRequiredService<Ownership>().Owned.ContainsKey(0) && Election(a).Rounds >= 1);
        using var stream = new ReportStream(a.Reporter);
        ulong sequence = 0;
        for (var tick = 1; tick <= 5; tick++)
        {
            await ReportAsync(stream, ++sequence, Endpoints);
            await StepAsync(a, timeA);
        }

        Assert.Equal(4, a.Snapshots.Get(Service).Endpoints.Count);

        // The follower is up for a minute (its loop ticking) while the leader controls and renews its Lease.
        var timeB = new FakeTimeProvider(timeA.GetUtcNow());
        await using var b = await StartReplicaAsync(api, redis, "replica-b", timeB, "--Robinhood:Control:StartupGrace=00:00:03");
        var roleB = b.App.Services.GetRequiredService<Ownership>();
        await Eventually(() => Election(b).Rounds >= 1);
        for (var second = 0; second < 60; second++)
        {
            await ReportAsync(stream, ++sequence, Endpoints);
            await StepAsync(a, timeA);
            await StepAsync(b, timeB);
        }

        Assert.False(roleB.Owned.ContainsKey(0));
        var stored = a.Snapshots.Get(Service);
        await RedisStateTests.StoredAsync(a, stored.Version);

        // The leader stops (handing its Lease back): the follower takes it at its next round.
        await a.DisposeAsync();
        await Eventually(async () =>
        {
            await StepAsync(b, timeB);
            return roleB.Owned.ContainsKey(0);
        });

        // Restored: the old leader's weights (the follower already served them from Redis), its control state as stored.
        var fleetB = b.App.Services.GetRequiredService<Fleet>();
        var resumed = b.Snapshots.Get(Service);
        Assert.True(resumed.Version >= stored.Version);
        Assert.Equal(ModelledService.Weights(stored), ModelledService.Weights(resumed));
        var restored = Integrals(fleetB.Capture(Service)!);

        // One of four reports: during the grace (two ticks) and after it (the third), no integration and no publication.
        using var toB = new ReportStream(b.Reporter);
        await ReportAsync(toB, 1, Endpoints[0], cpu: 0.9);
        for (var tick = 1; tick <= 3; tick++)
        {
            await StepAsync(b, timeB);
            Assert.Equal(resumed.Version, b.Snapshots.Get(Service).Version);
            Assert.Equal(restored, Integrals(fleetB.Capture(Service)!));
        }

        // Three of four heard since the lead: no more silent than the freeze rule allows, so the loop controls.
        await ReportAsync(toB, 2, Endpoints[0], cpu: 0.9);
        await ReportAsync(toB, 1, Endpoints[1], cpu: 0.2);
        await ReportAsync(toB, 1, Endpoints[2], cpu: 0.2);
        await StepAsync(b, timeB);
        Assert.NotEqual(restored, Integrals(fleetB.Capture(Service)!));
        Assert.True(b.Snapshots.Get(Service).Version > resumed.Version, "the loop controls once the reports cover the service");
    }

    [Fact]
    public async Task RestoreFails_StaysFollowerAndRetries_NeverOverwritesStoredState_LeadsOnceItSucceeds()
    {
        await using var redis = await RedisServer.StartAsync();
        var snapshot = new WeightSnapshot { Service = Service, Version = 42, Endpoints = { new EndpointWeight { Endpoint = Endpoints[0], Weight = 1000, State = EndpointState.Active } } };
        await using (var connection = await redis.ConnectAsync())
        {
            var db = connection.GetDatabase();
            await db.SetAddAsync("robinhood:services", Service);
            await db.StringSetAsync("robinhood:snapshot:" + Service, snapshot.ToByteArray());
            await db.StringSetAsync("robinhood:state:" + Service, "{not json");
        }

        var time = new FakeTimeProvider();
        await using var controller = await RedisStateTests.StartAsync(redis, time);
        var role = controller.App.Services.GetRequiredService<Ownership>();
        using var stream = new ReportStream(controller.Reporter);
        for (var tick = 1; tick <= 10; tick++)
        {
            // Each second past the backoff is another attempt, each failing on the unreadable state.
            await ReportAsync(stream, (ulong)tick, Endpoints[0], cpu: 0.5);
            await controller.TickAsync(time, Interval);
        }

        Assert.False(role.Owned.ContainsKey(0));
        Assert.Null(role.Owned.GetValueOrDefault(0));
        await using (var connection = await redis.ConnectAsync())
        {
            var db = connection.GetDatabase();
            Assert.Equal("{not json", (string?)await db.StringGetAsync("robinhood:state:" + Service));
            Assert.Equal(snapshot.ToByteArray(), (byte[]?)await db.StringGetAsync("robinhood:snapshot:" + Service));

            // Repaired: the next attempt restores, and this replica leads.
            await db.StringSetAsync("robinhood:state:" + Service, $$"""{"formatVersion":1,"service":"{{Service}}","endpoints":[]}""");
        }

        await Eventually(async () =>
        {
            await controller.TickAsync(time, Interval);
            return role.Owned.ContainsKey(0);
        });
        Assert.True(controller.Snapshots.Get(Service).Version > snapshot.Version);
    }

    [Fact]
    public async Task RedisDownAtStart_StaysFollower_LeadsWhenRedisAnswers()
    {
        await using var redis = await RedisServer.StartAsync();
        await redis.KillAsync();
        var time = new FakeTimeProvider();
        await using var controller = await RedisStateTests.StartAsync(redis, time, "--Robinhood:Redis:RestoreTimeout=00:00:01");
        var role = controller.App.Services.GetRequiredService<Ownership>();
        using var stream = new ReportStream(controller.Reporter);
        await ReportAsync(stream, 1, Endpoints[0], cpu: 0.5);
        await controller.TickAsync(time, Interval);
        Assert.False(role.Owned.ContainsKey(0));
        Assert.Equal(0UL, controller.Snapshots.Get(Service).Version);

        await redis.RestartAsync();
        await Eventually(async () =>
        {
            await controller.TickAsync(time, Interval);
            return role.Owned.ContainsKey(0);
        });
    }

    [Fact]
    public async Task RedisWritesPausedAtStart_TheClientsOwnTimeoutIsLoggedAsIt_LeadsOnceRedisAnswers()
    {
        await using var redis = await RedisServer.StartAsync();
        await using (var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true"))
        {
            // Writes (the takeover's INCR of the epoch) wait 8 s; the connection's handshake does not.
            await admin.GetServer(admin.GetEndPoints()[0]).ExecuteAsync("CLIENT", "PAUSE", "8000", "WRITE");
        }

        var logs = new CapturedLogs();
        await using var controller = await RunningController.StartAsync(null, logs,
            $"--ConnectionStrings:Redis=127.0.0.1:{redis.Port},abortConnect=false,connectTimeout=1000,asyncTimeout=500",
            "--Robinhood:Redis:RestoreTimeout=00:00:30",
            "--Robinhood:Redis:MaxRestoreBackoff=00:00:02");
        var role = controller.App.Services.GetRequiredService<Ownership>();

        // The first attempt ended at the client's 500 ms, and says so, not the 30 s RestoreTimeout it never reached.
        var failed = logs.Messages.Where(m => m.StartsWith("Not taking shards", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, m => Assert.Contains("Timeout", m, StringComparison.Ordinal));
        Assert.All(failed, m => Assert.DoesNotContain("RestoreTimeout", m, StringComparison.Ordinal));
        Assert.Empty(role.Owned);
        await Eventually(() => role.Owned.Count == role.Map.Count);
    }

    /// <summary>
    /// One second on the replica's clock: its loop ticks, and its election runs the round that came due (seconds
    /// advanced while a round runs would date its renewal too early and lose the shard, as a round that slow should).
    /// </summary>
    private static async Task StepAsync(RunningController replica, FakeTimeProvider time)
    {
        var rounds = Election(replica).Rounds;
        await replica.TickAsync(time, Interval);
        await Eventually(() => Election(replica).Rounds > rounds);
    }

    private static double[] Integrals(ServiceControllerState state) => [.. state.Endpoints.Select(e => e.Integral)];

    private static async Task ReportAsync(ReportStream stream, ulong sequence, params string[] endpoints)
    {
        foreach (var endpoint in endpoints)
        {
            await ReportAsync(stream, sequence, endpoint, cpu: 0.5);
        }
    }

    private static async Task ReportAsync(ReportStream stream, ulong sequence, string endpoint, double cpu)
    {
        var ack = await stream.SendAsync(new LoadReport { Service = Service, Endpoint = endpoint, Zone = "zone-a", CpuUtilization = cpu, Sequence = sequence });
        Assert.True(ack.Accepted, ack.Error);
    }

    private static Task<RunningController> StartReplicaAsync(FakeKubernetesApiServer api, RedisServer redis, string identity, TimeProvider time, params string[] args) =>
        RunningController.StartAsync(time,
        [
            "--Robinhood:Kubernetes:Enabled=true",
            $"--Robinhood:Kubernetes:Host={api.Host}",
            $"--Robinhood:Kubernetes:Namespace={Namespace}",
            $"--Robinhood:Kubernetes:Services:0={Service}",
            $"--Robinhood:Leadership:Identity={identity}",
            "--Robinhood:Leadership:LeaseDuration=00:00:03",
            "--Robinhood:Leadership:RenewDeadline=00:00:02",
            "--Robinhood:Leadership:RetryPeriod=00:00:00.500",
            $"--ConnectionStrings:Redis={redis.ConnectionString}",
            $"--Robinhood:Control:Interval={Interval}",
            "--Robinhood:Control:WarmUp=00:00:02",
            .. args,
        ]);

    private static async Task Eventually(Func<bool> condition) => await RedisStateTests.Eventually(() => Task.FromResult(condition()));

    private static Task Eventually(Func<Task<bool>> condition) => RedisStateTests.Eventually(condition);
}
