using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Controller.Control;
using Robinhood.Controller.Dashboard;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Metrics;
using Robinhood.Controller.Tests.Persistence;
using Robinhood.V1;
using StackExchange.Redis;

namespace Robinhood.Controller.Tests.Ingest;

/// <summary>
/// A service nobody reports into is forgotten everywhere: a leader and a follower on one real redis-server,
/// on fake clocks, over real Kestrel.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class IdleServiceTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    [Fact]
    public async Task IdleService_PastForgetIdleServicesAfter_GoneFromMemoryWatchersRedisMetricsAndDashboards()
    {
        // Names of their own: the metrics registry is shared by every controller in this process.
        var idle = $"idle-{Guid.NewGuid():N}";
        var busy = $"busy-{Guid.NewGuid():N}";
        await using var redis = await RedisServer.StartAsync();
        var followerTime = new FakeTimeProvider();
        await using var follower = await RedisStateTests.StartAsync(redis, followerTime, "--Robinhood:Limits:ForgetIdleServicesAfter=00:01:00");
        follower.App.Services.GetRequiredService<Ownership>().Release(0, "test: the other replica leads");
        var time = new FakeTimeProvider(followerTime.GetUtcNow());
        await using var leader = await RedisStateTests.StartAsync(redis, time, "--Robinhood:Limits:ForgetIdleServicesAfter=00:01:00");
        Assert.True(leader.App.Services.GetRequiredService<Ownership>().Owned.ContainsKey(0));

        using var stream = new ReportStream(leader.Reporter);
        Assert.True((await stream.SendAsync(Report(idle, 1))).Accepted);
        Assert.True((await stream.SendAsync(Report(busy, 1))).Accepted);
        await leader.TickAsync(time, Interval);
        var published = leader.Snapshots.Get(idle);
        Assert.NotEmpty(published.Endpoints);
        await RedisStateTests.Eventually(() => Task.FromResult(follower.Snapshots.Get(idle).Version == published.Version));

        using var leaderWatch = Watch(leader, idle);
        using var followerWatch = Watch(follower, idle);
        foreach (var watch in new[] { leaderWatch, followerWatch })
        {
            Assert.True(await watch.ResponseStream.MoveNext());
            Assert.Equal(published.Version, watch.ResponseStream.Current.Version);
        }

        Assert.Contains((await ScrapeAsync(leader)).Samples, s => s.Labels.GetValueOrDefault("service") == idle);
        Assert.Contains(idle, await DashboardAsync(leader));
        Assert.Contains(idle, await DashboardAsync(follower));

        // 50 s: both still held; then only the busy one reports, and 11 s later the idle one is past the minute.
        await JumpAsync(leader, time, TimeSpan.FromSeconds(50));
        Assert.Contains(idle, leader.App.Services.GetRequiredService<Fleet>().Services);
        Assert.True((await stream.SendAsync(Report(busy, 2))).Accepted);
        await JumpAsync(leader, time, TimeSpan.FromSeconds(11));

        var fleet = leader.App.Services.GetRequiredService<Fleet>();
        Assert.DoesNotContain(idle, fleet.Services);
        Assert.Contains(busy, fleet.Services);
        Assert.Equal(0ul, leader.Snapshots.Get(idle).Version);
        foreach (var watch in new[] { leaderWatch, followerWatch })
        {
            // Past the STALE snapshot of the 50 s tick, the empty one.
            do
            {
                Assert.True(await watch.ResponseStream.MoveNext());
            }
            while (watch.ResponseStream.Current.Version != 0);
            Assert.Equal(new WeightSnapshot { Service = idle, Version = 0 }, watch.ResponseStream.Current);
        }

        Assert.Equal(0ul, follower.Snapshots.Get(idle).Version);
        await using var connection = await redis.ConnectAsync();
        var db = connection.GetDatabase();
        // The name leaves the set after its keys are deleted and its empty snapshot published, which the watchers saw.
        await RedisStateTests.Eventually(async () => !await db.SetContainsAsync("robinhood:services", idle));
        Assert.True(await db.SetContainsAsync("robinhood:services", busy));
        Assert.True(await db.KeyExistsAsync($"robinhood:{{{busy}}}:snapshot"));
        foreach (var key in new[] { "snapshot", "state", "epoch" })
        {
            Assert.False(await db.KeyExistsAsync($"robinhood:{{{idle}}}:{key}"), key);
        }
        Assert.DoesNotContain((await ScrapeAsync(leader)).Samples, s => s.Labels.GetValueOrDefault("service") == idle);
        Assert.Contains((await ScrapeAsync(leader)).Samples, s => s.Labels.GetValueOrDefault("service") == busy);
        Assert.DoesNotContain(idle, await DashboardAsync(leader));
        Assert.Contains(busy, await DashboardAsync(leader));
        await RedisStateTests.Eventually(async () => !(await DashboardAsync(follower)).Contains(idle));

        // The stream's sequence of the forgotten endpoint went with it: sequence 1 is accepted again, anew.
        Assert.True((await stream.SendAsync(Report(idle, 1))).Accepted);
        Assert.Contains(idle, fleet.Services);
    }

    /// <summary>Moves the leader's clock on by <paramref name="by"/> and waits for the tick that fires on it.</summary>
    private static async Task JumpAsync(RunningController controller, FakeTimeProvider time, TimeSpan by)
    {
        var next = controller.Loop.NextTickAsync();
        time.Advance(by);
        await next.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static LoadReport Report(string service, ulong sequence) =>
        new() { Service = service, Endpoint = "10.0.0.1:80", CpuUtilization = 0.4, Sequence = sequence };

    private static AsyncServerStreamingCall<WeightSnapshot> Watch(RunningController controller, string service)
    {
        var request = new WatchRequest { ClientId = "idle-test" };
        request.Services.Add(service);
        return controller.Discovery.Watch(request, deadline: DateTime.UtcNow.AddSeconds(30));
    }

    private static async Task<PrometheusText> ScrapeAsync(RunningController controller) =>
        PrometheusText.Parse(await controller.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative)));

    private static async Task<IReadOnlyList<string>> DashboardAsync(RunningController controller) =>
        [.. (await controller.Http.GetFromJsonAsync<List<ServiceView>>(new Uri("/api/services", UriKind.Relative), Json))!.Select(s => s.Service)];
}
