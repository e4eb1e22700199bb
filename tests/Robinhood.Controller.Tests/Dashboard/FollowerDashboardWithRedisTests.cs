using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Control;
using Robinhood.Control.Rollout;
using Robinhood.Controller.Admin;
using Robinhood.Controller.Control;
using Robinhood.Controller.Dashboard;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Publish;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Persistence;
using Robinhood.Tests;

namespace Robinhood.Controller.Tests.Dashboard;

/// <summary>
/// Two controller replicas on one real redis-server: the one that does not lead never ticks, yet its
/// <c>/api/services</c> shows what the leader published, and the leader's mode, overrides and loop terms; its admin API
/// answers 503 while it knows no leader, refuses naming a leader that advertises no Http address (a replica of an
/// earlier version), and forwards to one that does.
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
        var followerTime = new FakeTimeProvider();
        await using var follower = await RedisStateTests.StartFollowerAsync(redis, followerTime);
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

    [Fact]
    public async Task AdminAndDashboard_OnFollower_RefusesOrForwardsByWhatItKnowsOfTheLeaderAndShowsTheLeadersModeOverrideAndTerms()
    {
        await using var redis = await RedisServer.StartAsync();
        var followerTime = new FakeTimeProvider();
        await using var follower = await RedisStateTests.StartFollowerAsync(redis, followerTime, AdminApi.TokenArg);
        var followerOwnership = follower.App.Services.GetRequiredService<Ownership>();
        var leaderTime = new FakeTimeProvider(followerTime.GetUtcNow());
        await using var leader = await RedisStateTests.StartAsync(redis, leaderTime, AdminApi.TokenArg);
        var leaderAddress = leader.App.Services.GetRequiredService<Ownership>().AdvertisedAddress;
        var unknown = await AdminAsync(follower, HttpMethod.Get, "");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unknown.Status);
        Assert.Contains("the owner of its shard is not known yet", unknown.Body, StringComparison.Ordinal);
        Assert.Equal("2", unknown.RetryAfter);
        // Elected replicas read the owner's addresses from its shard Lease; this pair has no election, so the test tells it:
        // first as a replica of an earlier version advertises itself, with no Http address.
        followerOwnership.SeeOwner(0, new ShardOwner(leaderAddress, null));
        var fleet = new ModelledService(Service, 6, seed: 7);
        using var stream = new ReportStream(leader.Reporter);
        await RedisStateTests.RunAsync(leader, leaderTime, fleet, stream, ticks: 12);
        var drained = fleet.Endpoints.ElementAt(2);

        Assert.Equal(HttpStatusCode.OK, (await AdminAsync(leader, HttpMethod.Put, "/rollout", new { mode = "Blend", fraction = 0.5 })).Status);
        Assert.Equal(HttpStatusCode.OK, (await AdminAsync(leader, HttpMethod.Put, $"/endpoints/{drained}/drain")).Status);
        await RedisStateTests.RunAsync(leader, leaderTime, fleet, stream, ticks: 2);
        var published = leader.Snapshots.Get(Service).Version;
        // The follower reads the leader's state at its next full read, one ResyncInterval (5 s) on.
        await RedisStateTests.Eventually(async () =>
        {
            followerTime.Advance(TimeSpan.FromSeconds(5));
            var shown = (await ServicesAsync(follower)).SingleOrDefault(s => s.Service == Service);
            return followerOwnership.OwnerAddress(0) == leaderAddress && shown?.Mode == RolloutMode.Blend
                && follower.Snapshots.Get(Service).Version == published;
        });

        var refused = await AdminAsync(follower, HttpMethod.Put, "/rollout", new { mode = "Active" });
        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Contains($"the leader of its shard is {leaderAddress}", refused.Body, StringComparison.Ordinal);
        Assert.Equal(leaderAddress, refused.Leader);

        var service = (await ServicesAsync(follower)).Single(s => s.Service == Service);
        Assert.Equal((RolloutMode.Blend, 0.5), (service.Mode, service.Fraction));
        var row = service.Endpoints.Single(e => e.Endpoint == drained);
        Assert.True(row.Drained, "the follower shows the leader's drain");
        Assert.Equal((EndpointPhase.Draining, 0u), (row.Phase, row.Weight));
        Assert.All(service.Endpoints.Where(e => e.Endpoint != drained), e => Assert.True(e.Computed > 0, $"computed weight of {e.Endpoint}"));
        var terms = await follower.Http.GetFromJsonAsync<List<EndpointDiagnostics>>(new Uri($"/api/services/{Service}/endpoints", UriKind.Relative), Json)
            ?? throw new InvalidOperationException("the endpoints API answered null");
        Assert.Equal(fleet.Endpoints.Order(StringComparer.Ordinal), terms.Select(t => t.Endpoint));
        Assert.All(terms.Where(t => t.Endpoint != drained), t => Assert.True(t.CapacityEstimate > 0, $"capacity estimate of {t.Endpoint}"));
        // The refusal changed nothing: the leader still blends.
        Assert.Contains("\"mode\":\"Blend\"", (await AdminAsync(leader, HttpMethod.Get, "")).Body, StringComparison.Ordinal);

        // A leader that advertises its Http address gets the call, and its answer comes back as it gave it.
        followerOwnership.SeeOwner(0, new ShardOwner(leaderAddress, leader.Http.BaseAddress!.ToString().TrimEnd('/')));
        var forwarded = await AdminAsync(follower, HttpMethod.Put, "/rollout", new { mode = "Active" });
        Assert.Equal(HttpStatusCode.OK, forwarded.Status);
        Assert.Equal(leaderAddress, forwarded.Leader);
        Assert.Contains("\"mode\":\"Active\"", forwarded.Body, StringComparison.Ordinal);
        Assert.Equal(RolloutMode.Active, leader.App.Services.GetRequiredService<Fleet>().Capture(Service)!.Rollout.Mode);
    }

    private static async Task<(HttpStatusCode Status, string Body, string? Leader, string? RetryAfter)> AdminAsync(RunningController controller, HttpMethod method, string path, object? body = null)
    {
        using var request = AdminApi.Request(method, Service, path, body);
        using var response = await controller.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(),
            response.Headers.TryGetValues(AdminEndpoints.OwnerHeader, out var values) ? values.Single() : null,
            response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<IReadOnlyList<ServiceView>> ServicesAsync(RunningController controller) =>
        await controller.Http.GetFromJsonAsync<List<ServiceView>>(new Uri("/api/services", UriKind.Relative), Json)
            ?? throw new InvalidOperationException("/api/services answered null");
}
