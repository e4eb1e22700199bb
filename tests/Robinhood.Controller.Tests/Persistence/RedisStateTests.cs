using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Controller.Control;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Persistence;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.V1;
using Robinhood.Control.Persistence;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Robinhood.Controller.Tests.Persistence;

/// <summary>State in a real redis-server: round trip, restart, fencing, and Redis going away and coming back.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisStateTests(ITestOutputHelper output)
{
    private const string Service = "checkout";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Tick_WithRedis_WritesSnapshotAndStateThatLoadBackEqual()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var controller = await StartAsync(redis, time);
        var fleet = new ModelledService(Service, 6, seed: 1);
        using var stream = new ReportStream(controller.Reporter);

        var last = await RunAsync(controller, time, fleet, stream, ticks: 15);
        var stored = await StoredAsync(controller, last.Version);

        Assert.Equal(last, stored.Snapshot);
        var expected = controller.App.Services.GetRequiredService<Fleet>().Capture(Service)!;
        Assert.Equal(expected.Endpoints, stored.State!.Endpoints);
        Assert.Equal(1, await controller.App.Services.GetRequiredService<StateStore>().CurrentEpochAsync());
    }

    [Fact]
    public async Task Tick_HundredEndpoints_StoresUnder23KilobytesOfState()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var controller = await StartAsync(redis, time);
        var fleet = new ModelledService(Service, 100, seed: 5);
        using var stream = new ReportStream(controller.Reporter);

        var last = await RunAsync(controller, time, fleet, stream, ticks: 30);
        await StoredAsync(controller, last.Version);

        await using var connection = await redis.ConnectAsync();
        var state = (byte[])(await connection.GetDatabase().StringGetAsync($"robinhood:{{{Service}}}:state"))!;
        var json = JsonSerializer.SerializeToUtf8Bytes(StateEncoding.Decode(state), StateEncodingTests.EarlierJson);
        output.WriteLine($"state of {last.Endpoints.Count} endpoints: {state.Length} bytes stored, {json.Length} as the earlier JSON");
        Assert.Equal(100, last.Endpoints.Count);
        Assert.InRange(state.Length, 1, 23_000);
    }

    [Fact]
    public async Task Restart_StateInEarlierJson_RestoredAndWrittenBackInTheNewEncoding()
    {
        await using var redis = await RedisServer.StartAsync();
        var fleet = new ModelledService(Service, 10, seed: 6);
        var time = new FakeTimeProvider();
        WeightSnapshot before;
        ServiceControllerState earlier;
        await using (var first = await StartAsync(redis, time))
        {
            using var stream = new ReportStream(first.Reporter);
            before = await RunAsync(first, time, fleet, stream, ticks: 30);
            await StoredAsync(first, before.Version);
            earlier = first.App.Services.GetRequiredService<Fleet>().Capture(Service)!;
        }

        // What the version before this encoding stored for the same state.
        await using var connection = await redis.ConnectAsync();
        var db = connection.GetDatabase();
        await db.StringSetAsync($"robinhood:{{{Service}}}:state", JsonSerializer.SerializeToUtf8Bytes(earlier, StateEncodingTests.EarlierJson));

        time.Advance(TimeSpan.FromSeconds(3));
        await using var second = await StartAsync(redis, time);
        Assert.Equal(earlier.Endpoints.Select(e => e.Integral), second.App.Services.GetRequiredService<Fleet>().Capture(Service)!.Endpoints.Select(e => e.Integral));

        using var again = new ReportStream(second.Reporter);
        var after = await RunAsync(second, time, fleet, again, ticks: 1);
        var change = ModelledService.MaxRelativeChange(before, after);
        Assert.True(change < 0.05, $"weights moved {change:P1} across the restart");
        await StoredAsync(second, after.Version);
        var rewritten = (byte[])(await db.StringGetAsync($"robinhood:{{{Service}}}:state"))!;
        Assert.Equal(0x0A, rewritten[0]);
        Assert.Equal(earlier.Endpoints.Select(e => e.Endpoint), StateEncoding.Decode(rewritten).Endpoints.Select(e => e.Endpoint));
    }

    [Fact]
    public async Task Restart_SameRedis_PublishesRestoredSnapshotAtOnceAndContinuesWithinFivePercent()
    {
        await using var redis = await RedisServer.StartAsync();
        var fleet = new ModelledService(Service, 10, seed: 2);
        var time = new FakeTimeProvider();
        WeightSnapshot before;
        await using (var first = await StartAsync(redis, time))
        {
            using var stream = new ReportStream(first.Reporter);
            before = await RunAsync(first, time, fleet, stream, ticks: 40);
            await StoredAsync(first, before.Version);
        }

        time.Advance(TimeSpan.FromSeconds(3));
        await using var second = await StartAsync(redis, time);

        // Before any tick or report: the restored weights, under a higher version.
        var restored = second.Snapshots.Get(Service);
        Assert.True(restored.Version > before.Version);
        Assert.Equal(ModelledService.Weights(before), ModelledService.Weights(restored));

        using var again = new ReportStream(second.Reporter);
        var after = await RunAsync(second, time, fleet, again, ticks: 1);
        Assert.True(after.Version > before.Version, $"version {after.Version} must be above {before.Version}");
        var change = ModelledService.MaxRelativeChange(before, after);
        Assert.True(change < 0.05, $"weights moved {change:P1} across the restart");
        Assert.True(fleet.Imbalance(ModelledService.Weights(after)) < 1.15);
    }

    [Fact]
    public async Task DeposedLeader_Write_RefusedByEpochAndStopsLeading()
    {
        await using var redis = await RedisServer.StartAsync();
        var fleet = new ModelledService(Service, 4, seed: 3);
        var timeA = new FakeTimeProvider();
        await using var a = await StartAsync(redis, timeA);
        using var streamA = new ReportStream(a.Reporter);
        var fromA = await RunAsync(a, timeA, fleet, streamA, ticks: 3);
        await StoredAsync(a, fromA.Version);

        var timeB = new FakeTimeProvider(timeA.GetUtcNow() + TimeSpan.FromMinutes(1));
        await using var b = await StartAsync(redis, timeB);
        var store = b.App.Services.GetRequiredService<StateStore>();
        Assert.Equal(2, await store.CurrentEpochAsync());

        // A still believes it leads: its next write is refused and it steps down.
        var fenced = ControllerMetrics.RedisWrites.WithLabels("fenced").Value;
        Assert.False(await a.App.Services.GetRequiredService<StateWriter>().WriteAsync());
        Assert.False(a.App.Services.GetRequiredService<Ownership>().Owned.ContainsKey(0));
        Assert.Equal(fenced + 1, ControllerMetrics.RedisWrites.WithLabels("fenced").Value);
    }

    [Fact]
    public async Task RedisKilled_LoopAndWatchContinue_AndStateResyncsWhenItIsBack()
    {
        await using var redis = await RedisServer.StartAsync();
        var fleet = new ModelledService(Service, 6, seed: 4);
        var time = new FakeTimeProvider();
        await using var controller = await StartAsync(redis, time);
        using var stream = new ReportStream(controller.Reporter);
        var before = await RunAsync(controller, time, fleet, stream, ticks: 12);
        await StoredAsync(controller, before.Version);

        using var watch = controller.Discovery.Watch(new WatchRequest { Services = { Service } });
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
        var errors = ControllerMetrics.RedisErrors.WithLabels("connection").Value + ControllerMetrics.RedisErrors.WithLabels("write").Value;

        await redis.KillAsync();

        // A new endpoint joins while Redis is down: the loop still ticks and the Watch stream gets it.
        Assert.True((await stream.SendAsync(new LoadReport { Service = Service, Endpoint = "10.1.9.9:8080", CpuUtilization = 0.5, Sequence = 1 })).Accepted);
        var ticksBefore = controller.Loop.Ticks;
        await RunAsync(controller, time, fleet, stream, ticks: 3);
        Assert.Equal(ticksBefore + 3, controller.Loop.Ticks);
        WeightSnapshot seen;
        do
        {
            using var timeout = new CancellationTokenSource(Deadline);
            Assert.True(await watch.ResponseStream.MoveNext(timeout.Token));
            seen = watch.ResponseStream.Current;
        }
        while (seen.Endpoints.All(e => e.Endpoint != "10.1.9.9:8080"));

        await Eventually(async () =>
        {
            await RunAsync(controller, time, fleet, stream, ticks: 1);
            return ControllerMetrics.RedisErrors.WithLabels("connection").Value + ControllerMetrics.RedisErrors.WithLabels("write").Value > errors
                && ControllerMetrics.RedisUp.Value == 0;
        });

        // Redis back, empty: the leader writes its whole state again.
        await redis.RestartAsync();
        var store = controller.App.Services.GetRequiredService<StateStore>();
        await Eventually(async () =>
        {
            await RunAsync(controller, time, fleet, stream, ticks: 1);
            try
            {
                var stored = (await store.LoadAsync()).SingleOrDefault(s => s.Service == Service);
                return stored?.Snapshot?.Version == controller.Snapshots.Get(Service).Version
                    && stored.State!.Endpoints.Any(e => e.Endpoint == "10.1.9.9:8080")
                    && ControllerMetrics.RedisUp.Value == 1;
            }
            catch (RedisConnectionException)
            {
                // Still reconnecting.
                return false;
            }
        });
    }

    internal static Task<RunningController> StartAsync(RedisServer redis, TimeProvider time, params string[] args) =>
        StartAsync(redis.ConnectionString, time, args);

    /// <summary>A controller on a Redis (one server or a cluster) given by its configuration string.</summary>
    internal static Task<RunningController> StartAsync(string redis, TimeProvider time, params string[] args) =>
        RunningController.StartAsync(time, [$"--ConnectionStrings:Redis={redis}", $"--Robinhood:Control:Interval={Interval}", .. args]);

    /// <summary>
    /// A replica that does not lead: started, then demoted from the shard it took, so a leader started after it holds
    /// the newer epoch.
    /// </summary>
    internal static async Task<RunningController> StartFollowerAsync(RedisServer redis, TimeProvider time, params string[] args)
    {
        var follower = await StartAsync(redis, time, args);
        follower.App.Services.GetRequiredService<Ownership>().Release(0, "test: the other replica leads");
        return follower;
    }

    /// <summary>Reports the modelled fleet under the current weights and ticks, <paramref name="ticks"/> times.</summary>
    internal static async Task<WeightSnapshot> RunAsync(RunningController controller, FakeTimeProvider time, ModelledService fleet, ReportStream stream, int ticks)
    {
        for (var i = 0; i < ticks; i++)
        {
            foreach (var report in fleet.Reports(ModelledService.Weights(controller.Snapshots.Get(fleet.Service))))
            {
                var ack = await stream.SendAsync(report);
                Assert.True(ack.Accepted, ack.Error);
            }

            await controller.TickAsync(time, Interval);
        }

        return controller.Snapshots.Get(fleet.Service);
    }

    /// <summary>Waits until Redis holds the service's snapshot of the given version (the writer runs after the tick).</summary>
    internal static async Task<StoredService> StoredAsync(RunningController controller, ulong version)
    {
        var store = controller.App.Services.GetRequiredService<StateStore>();
        StoredService? stored = null;
        await Eventually(async () =>
        {
            stored = (await store.LoadAsync()).SingleOrDefault(s => s.Service == Service);
            return stored?.Snapshot?.Version == version;
        });
        return stored!;
    }

    /// <summary>Polls a condition until it holds or the deadline passes.</summary>
    internal static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold before the deadline");
            await Task.Delay(20);
        }
    }
}
