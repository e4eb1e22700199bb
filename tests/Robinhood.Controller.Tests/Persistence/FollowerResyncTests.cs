using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Controller.Persistence;
using Robinhood.Controller.Tests.Hosting;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Robinhood.Controller.Tests.Persistence;

/// <summary>
/// A follower's full reads of Redis on a real redis-server, measured by redis-server's own byte counter: every
/// followed service's snapshot, but the controller state only of the services someone looked at lately.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class FollowerResyncTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Resync_NobodyLooks_ReadsSnapshotsButNoState_ThenTheStateOfTheServiceAskedForUntilTheInterestLapses()
    {
        await using var redis = await RedisServer.StartAsync();
        var followerTime = new FakeTimeProvider();
        await using var follower = await RedisStateTests.StartFollowerAsync(redis, followerTime);
        var leaderTime = new FakeTimeProvider(followerTime.GetUtcNow());
        await using var leader = await RedisStateTests.StartAsync(redis, leaderTime);

        // Four services of 100 endpoints: ~4 KB of snapshot and ~22 KB of state each.
        var fleets = Enumerable.Range(0, 4).Select(i => new ModelledService($"svc-{i}", 100, seed: 20 + i)).ToList();
        using var stream = new ReportStream(leader.Reporter);
        for (var tick = 0; tick < 5; tick++)
        {
            foreach (var fleet in fleets)
            {
                foreach (var report in fleet.Reports(ModelledService.Weights(leader.Snapshots.Get(fleet.Service))))
                {
                    Assert.True((await stream.SendAsync(report)).Accepted);
                }
            }

            await leader.TickAsync(leaderTime, Interval);
        }

        var store = leader.App.Services.GetRequiredService<StateStore>();
        await RedisStateTests.Eventually(async () =>
        {
            var stored = await store.LoadAsync();
            return fleets.All(f => stored.SingleOrDefault(s => s.Service == f.Service)?.Snapshot?.Version == leader.Snapshots.Get(f.Service).Version);
        });

        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        var feed = follower.App.Services.GetServices<IHostedService>().OfType<SnapshotFeed>().Single();
        async Task<long> ResyncBytesAsync()
        {
            var before = await OutputBytesAsync(server);
            var resyncs = feed.Resyncs;
            followerTime.Advance(TimeSpan.FromSeconds(5));
            await RedisStateTests.Eventually(() => Task.FromResult(feed.Resyncs > resyncs));
            return await OutputBytesAsync(server) - before;
        }

        await ResyncBytesAsync();
        var nobody = await ResyncBytesAsync();

        // Someone opens svc-0's endpoints on the follower: its state is read at once, and at each resync after.
        using var answer = await follower.Http.GetAsync(new Uri("/api/services/svc-0/endpoints", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("\"capacityEstimate\"", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var asked = await ResyncBytesAsync();
        var state = (byte[])(await admin.GetDatabase().StringGetAsync("robinhood:{svc-0}:state"))!;

        // A minute later nobody asked again: no state read.
        followerTime.Advance(FollowedState.Interest);
        await ResyncBytesAsync();
        var lapsed = await ResyncBytesAsync();

        output.WriteLine($"one resync of 4 followed services: {nobody:N0} bytes nobody looking, {asked:N0} with svc-0 asked for (its state {state.Length:N0} bytes), {lapsed:N0} a minute later");
        Assert.InRange(nobody, 1, 20_000);
        Assert.InRange(asked - nobody, state.Length, state.Length + 2_000);
        Assert.InRange(lapsed, 1, 20_000);
    }

    private static async Task<long> OutputBytesAsync(IServer server) =>
        long.Parse((await server.InfoAsync("stats")).SelectMany(g => g).Single(p => p.Key == "total_net_output_bytes").Value, System.Globalization.CultureInfo.InvariantCulture);
}
