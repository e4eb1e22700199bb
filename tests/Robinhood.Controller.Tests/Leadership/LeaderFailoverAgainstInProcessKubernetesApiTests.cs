using Xunit.Abstractions;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Kubernetes;
using Robinhood.Controller.Tests.Persistence;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Leadership;

/// <summary>
/// Two controller replicas on one machine electing a leader through a Lease on the in-process
/// Kubernetes API server, membership from its EndpointSlices, state in one real Redis.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class LeaderFailoverAgainstInProcessKubernetesApiTests(ITestOutputHelper output)
{
    private const string Namespace = "robinhood";
    private const string Service = "checkout";

    [Fact]
    public async Task LeaderStopped_FollowerLeadsWithinFifteenSeconds_WeightsContinueWithinFivePercent()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        var fleet = new ModelledService(Service, 12, seed: 11);
        api.PutEndpointSlice(FakeKubernetesApiServer.Slice(Namespace, "checkout-abc", Service, 8080,
            [.. fleet.Endpoints.Select(e => (e[..e.LastIndexOf(':')], "zone-a"))]));

        var a = await StartReplicaAsync(api, redis, "replica-a");
        var roleA = a.App.Services.GetRequiredService<Ownership>();
        await Eventually(() => roleA.Owned.ContainsKey(0), TimeSpan.FromSeconds(15));
        await using var b = await StartReplicaAsync(api, redis, "replica-b");
        var roleB = b.App.Services.GetRequiredService<Ownership>();
        await Eventually(() => roleB.OwnerAddress(0) == a.GrpcAddress, TimeSpan.FromSeconds(15));
        Assert.False(roleB.Owned.ContainsKey(0));
        Assert.Equal("replica-a", api.Lease(Namespace, "robinhood-controller-0")?.Spec.HolderIdentity);

        // Agents talk to the follower only: it forwards their reports to the leader and serves Watch from Redis.
        using var fleetAgents = new ModelledAgents([fleet], _ => b.GrpcAddress, every: TimeSpan.FromMilliseconds(100));
        var agents = fleetAgents.Agents.Single();
        await Eventually(() => agents.Latest is { } s && s.Endpoints.Count == 12 && s.Endpoints.All(e => e.State == EndpointState.Active)
            && fleet.Imbalance(ModelledService.Weights(s)) < 1.05, TimeSpan.FromSeconds(90));
        await Eventually(() => agents.Steady(), TimeSpan.FromSeconds(60));

        var before = agents.Latest!;
        var seen = agents.Snapshots.Count;
        var stopped = Stopwatch.StartNew();
        // Stopping drains the old leader's open streams for a while; leadership must not wait for that.
        var stopping = a.DisposeAsync().AsTask();
        await Eventually(() => roleB.Owned.ContainsKey(0), TimeSpan.FromSeconds(15));
        var takeover = stopped.Elapsed;
        await stopping;
        Assert.True(takeover < TimeSpan.FromSeconds(15), $"leadership moved after {takeover}");
        Assert.Equal("replica-b", api.Lease(Namespace, "robinhood-controller-0")?.Spec.HolderIdentity);

        // Ten ticks of the new leader. Its cache already held the old leader's weights (fed from Redis), so
        // it publishes only what its own control steps change, if anything, always above the old versions.
        var ticked = b.Loop.Ticks;
        await Eventually(() => b.Loop.Ticks >= ticked + 10, TimeSpan.FromSeconds(20));
        var since = agents.Snapshots.Skip(seen).Select(s => s.Snapshot).ToList();
        var after = since.FirstOrDefault() ?? b.Snapshots.Get(Service);
        Assert.True(after.Version >= before.Version);
        Assert.All(since, s => Assert.True(s.Version > before.Version));
        var change = ModelledService.MaxRelativeChange(before, after);
        Assert.True(change < 0.05, $"the new leader's first weights moved {change:P1} from the old leader's last");
        foreach (var s in since)
        {
            Assert.True(fleet.Imbalance(ModelledService.Weights(s)) <= 1.15);
        }

        output.WriteLine($"leadership moved in {takeover.TotalSeconds:F1} s, version {before.Version} -> {after.Version}, largest share change {change:P2}");
    }

    [Fact]
    public async Task EndpointSlices_JoinDrainAndRelistAfterGone_FollowMembership()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync();
        api.PutEndpointSlice(FakeKubernetesApiServer.Slice(Namespace, "web-1", "web", 80, ("10.3.0.1", "zone-a"), ("10.3.0.2", "zone-b")));
        await using var controller = await RunningController.StartAsync(null,
        [
            .. KubernetesArgs(api, "solo"),
            "--Robinhood:Kubernetes:Services:0=web",
            "--Robinhood:Control:Interval=00:00:00.100",
        ]);

        // Discovered before any report: a safe default share each.
        await Eventually(() => Members(controller).SetEquals(["10.3.0.1:80", "10.3.0.2:80"]), TimeSpan.FromSeconds(15));
        Assert.Equal("zone-b", controller.Snapshots.Get("web").Endpoints.Single(e => e.Endpoint == "10.3.0.2:80").Zone);

        // One leaves: it drains (weight 0).
        api.PutEndpointSlice(FakeKubernetesApiServer.Slice(Namespace, "web-1", "web", 80, ("10.3.0.1", "zone-a")));
        await Eventually(() => controller.Snapshots.Get("web").Endpoints.Any(e => e.Endpoint == "10.3.0.2:80" && e.State == EndpointState.Draining && e.Weight == 0), TimeSpan.FromSeconds(15));

        // History compacted (the watch gets 410 Gone): the controller relists and still follows changes.
        api.Compact();
        api.PutEndpointSlice(FakeKubernetesApiServer.Slice(Namespace, "web-2", "web", 80, ("10.3.0.3", "zone-c")));
        await Eventually(() => Members(controller).Contains("10.3.0.3:80"), TimeSpan.FromSeconds(15));
    }

    private static HashSet<string> Members(RunningController controller) =>
        controller.Snapshots.Get("web").Endpoints.Where(e => e.State != EndpointState.Draining).Select(e => e.Endpoint).ToHashSet();

    private static string[] KubernetesArgs(FakeKubernetesApiServer api, string identity) => api.ControllerArgs(Namespace, identity);

    private static Task<RunningController> StartReplicaAsync(FakeKubernetesApiServer api, RedisServer redis, string identity) =>
        RunningController.StartAsync(null,
        [
            .. KubernetesArgs(api, identity),
            $"--Robinhood:Kubernetes:Services:0={Service}",
            $"--ConnectionStrings:Redis={redis.ConnectionString}",
            "--Robinhood:Redis:ResyncInterval=00:00:00.500",
            "--Robinhood:Control:Interval=00:00:00.200",
            "--Robinhood:Control:WarmUp=00:00:02",
        ]);

    private static async Task Eventually(Func<bool> condition, TimeSpan within, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(condition))] string what = "")
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not before the deadline: {what}");
            await Task.Delay(20);
        }
    }
}
