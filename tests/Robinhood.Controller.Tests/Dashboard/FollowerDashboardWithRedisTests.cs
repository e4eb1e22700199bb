using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Controller.Dashboard;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Publish;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Persistence;

namespace Robinhood.Controller.Tests.Dashboard;

/// <summary>
/// Two controller replicas on one real redis-server: the one that does not lead never ticks, yet its
/// <c>/api/services</c> shows what the leader published.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class FollowerDashboardWithRedisTests
{
    private const string Service = "checkout";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    [Fact]
    public async Task ServicesApi_OnFollower_ShowsTheLeadersLatestSnapshot()
    {
        await using var redis = await RedisServer.StartAsync();
        // The follower starts first and is demoted, so the leader starting after it holds the newest epoch.
        var followerTime = new FakeTimeProvider();
        await using var follower = await RedisStateTests.StartAsync(redis, followerTime);
        follower.App.Services.GetRequiredService<Ownership>().Release(0, "test: the other replica leads");
        var leaderTime = new FakeTimeProvider(followerTime.GetUtcNow());
        await using var leader = await RedisStateTests.StartAsync(redis, leaderTime);
        Assert.True(leader.App.Services.GetRequiredService<Ownership>().Owned.ContainsKey(0));
        Assert.Empty(await ServicesAsync(follower));

        var fleet = new ModelledService(Service, 6, seed: 7);
        using var stream = new ReportStream(leader.Reporter);
        await RedisStateTests.RunAsync(leader, leaderTime, fleet, stream, ticks: 12);
        var published = leader.Snapshots.Get(Service);
        Assert.NotEmpty(published.Endpoints);

        ServiceView? shown = null;
        await RedisStateTests.Eventually(async () =>
        {
            shown = (await ServicesAsync(follower)).SingleOrDefault(s => s.Service == Service);
            return shown is not null && shown.Endpoints.Select(e => (e.Endpoint, e.Weight))
                .SequenceEqual(published.Endpoints.Select(e => (e.Endpoint, e.Weight)));
        });

        Assert.Equal(
            published.Endpoints.Select(e => (e.Endpoint, e.Zone, e.State, e.Utilization)),
            shown!.Endpoints.Select(e => (e.Endpoint, e.Zone, SnapshotPublisher.ToState(e.Phase), e.Utilization)));
        Assert.False(shown.Frozen);
        Assert.Equal(published.ComputedAt.ToDateTimeOffset().ToUnixTimeMilliseconds(), shown.History[^1].At);
        Assert.Equal(0, follower.Loop.Ticks);
    }

    private static async Task<IReadOnlyList<ServiceView>> ServicesAsync(RunningController controller) =>
        await controller.Http.GetFromJsonAsync<List<ServiceView>>(new Uri("/api/services", UriKind.Relative), Json)
            ?? throw new InvalidOperationException("/api/services answered null");
}
