using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Robinhood.Control.Rollout;
using Robinhood.Controller.Admin;
using Robinhood.Controller.Control;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Leadership;
using Robinhood.Controller.Tests.Persistence;
using Robinhood.Tests;
using Xunit.Abstractions;
using static Robinhood.Controller.Tests.Leadership.ShardedReplicas;

namespace Robinhood.Controller.Tests.Admin;

/// <summary>
/// The admin API on sharded replicas (six shard Leases on the in-process Kubernetes API server, state in a real
/// redis-server): a call sent to a replica that does not control the service is forwarded to the owner's Http
/// endpoint and the owner's answer comes back; a stalled or dead owner gets a clear refusal within the deadline.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class AdminForwardingAcrossReplicasAgainstInProcessKubernetesApiTests(ITestOutputHelper output)
{
    private static readonly string[] Services = [.. Enumerable.Range(0, 12).Select(i => $"orders-{i:D2}")];

    private static readonly TimeSpan ForwardTimeout = TimeSpan.FromSeconds(2);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    [Fact]
    public async Task AdminCall_SentToANonOwner_IsAppliedByTheOwnerAndAnsweredAsTheOwnerAnswers()
    {
        await using var setup = await ShardedReplicas.StartAsync(Services, seed: 3, redisCluster: false);
        var replicas = new List<RunningController>();
        try
        {
            foreach (var identity in new[] { "replica-a", "replica-b", "replica-c" })
            {
                replicas.Add(await RunningController.StartAsync(null, [.. setup.Args(identity), AdminApi.TokenArg]));
            }

            await Eventually.TrueAsync(() => replicas.All(r => Ownership(r).Owned.Count == 2) && replicas.SelectMany(r => Ownership(r).Owned.Keys).Distinct().Count() == Shards,
                TimeSpan.FromSeconds(60));
            var service = Services[0];
            var shard = Ownership(replicas[0]).Map.Of(service);
            var owner = replicas.Single(r => Ownership(r).Owns(service));
            var others = replicas.Where(r => r != owner).ToList();
            var ownerHttp = owner.Http.BaseAddress!.ToString().TrimEnd('/');
            var ownerFleet = owner.App.Services.GetRequiredService<Fleet>();
            // Each other replica has read the owner's Http address from the shard's Lease; the owner has its members.
            await Eventually.TrueAsync(() => others.All(r => Ownership(r).Owner(shard) == new ShardOwner(owner.GrpcAddress, ownerHttp))
                && ownerFleet.Capture(service)?.Endpoints.Count == 4, TimeSpan.FromSeconds(30));
            var answered = Forwarded("answered");

            // A write sent to a replica that does not control the service is applied by the owner, and visible there.
            var blend = await AdminAsync(others[0], HttpMethod.Put, service, "/rollout", new { mode = "Blend", fraction = 0.3 });
            Assert.Equal(HttpStatusCode.OK, blend.Status);
            Assert.Equal(owner.GrpcAddress, blend.Leader);
            Assert.Equal(Ownership(others[0]).AdvertisedAddress, blend.ForwardedBy);
            Assert.Contains("\"mode\":\"Blend\",\"fraction\":0.3", blend.Body, StringComparison.Ordinal);
            Assert.Equal(new ServiceRollout(RolloutMode.Blend, 0.3), ownerFleet.Capture(service)!.Rollout);
            var drained = ownerFleet.Capture(service)!.Endpoints[1].Endpoint;
            var drain = await AdminAsync(others[1], HttpMethod.Put, service, $"/endpoints/{drained}/drain");
            Assert.Equal(HttpStatusCode.OK, drain.Status);
            Assert.True(ownerFleet.Capture(service)!.Endpoints.Single(e => e.Endpoint == drained).Drained, "the owner holds the drain");

            // A read through another replica is the owner's state, not that replica's (it holds none of the service).
            var read = await AdminAsync(others[1], HttpMethod.Get, service, "");
            Assert.Equal(HttpStatusCode.OK, read.Status);
            Assert.Equal(owner.GrpcAddress, read.Leader);
            var shown = JsonSerializer.Deserialize<AdminService>(read.Body, Json) ?? throw new InvalidOperationException("the admin API answered null");
            Assert.Equal((RolloutMode.Blend, 0.3), (shown.Mode, shown.Fraction));
            Assert.True(shown.Endpoints.Single(e => e.Endpoint == drained).Drained, "the read shows the owner's drain");
            Assert.Null(others[1].App.Services.GetRequiredService<Fleet>().Capture(service));
            // The owner's own answers name it too.
            Assert.Equal(owner.GrpcAddress, (await AdminAsync(owner, HttpMethod.Get, service, "")).Leader);

            // A wrong token is refused 401 by the replica it reached, which forwards nothing and names no owner; nothing changes.
            var wrong = await AdminAsync(others[0], HttpMethod.Put, service, "/rollout", new { mode = "Active" }, token: "not-the-admin-token-0123456789");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
            Assert.Null(wrong.Leader);
            Assert.Null(wrong.ForwardedBy);
            Assert.Equal("Bearer", wrong.Authenticate);
            Assert.Contains("Authorization: Bearer <Robinhood:Admin:Token> is required", wrong.Body, StringComparison.Ordinal);
            Assert.Equal(RolloutMode.Blend, ownerFleet.Capture(service)!.Rollout.Mode);
            Assert.Equal(answered + 3, Forwarded("answered"));

            // A call another replica already forwarded is never forwarded again: 409 naming the owner, as before forwarding.
            var loops = Forwarded("loop");
            using (var twice = AdminApi.Request(HttpMethod.Get, service, ""))
            {
                twice.Headers.Add(AdminForwarder.ForwardedHeader, "http://10.0.0.1:7000");
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                using var refused = await others[0].Http.SendAsync(twice, deadline.Token);
                Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
                Assert.Equal(owner.GrpcAddress, refused.Headers.GetValues(AdminEndpoints.OwnerHeader).Single());
                Assert.Contains("does not forward a call another replica forwarded", await refused.Content.ReadAsStringAsync(deadline.Token), StringComparison.Ordinal);
            }

            Assert.Equal(loops + 1, Forwarded("loop"));
            Assert.Equal(answered + 3, Forwarded("answered"));

            // A body over the admin API's limit is refused alike by the owner and by a replica forwarding to it.
            var large = new { mode = "Active", padding = new string('x', AdminEndpoints.MaxBodyBytes) };
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await AdminAsync(others[0], HttpMethod.Put, service, "/rollout", large)).Status);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await AdminAsync(owner, HttpMethod.Put, service, "/rollout", large)).Status);
            Assert.Equal(RolloutMode.Blend, ownerFleet.Capture(service)!.Rollout.Mode);
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AdminCall_OwnerStalledThenKilled_RefusedWithin_TheDeadline504ThenAt_Once502()
    {
        await using var setup = await ShardedReplicas.StartAsync(Services, seed: 4, redisCluster: false);
        // Leases of 30 s: the stalled owner keeps its shards for the whole test, so the calls meet it, not a new owner.
        string[] args = [AdminApi.TokenArg, $"--Robinhood:Admin:ForwardTimeout={ForwardTimeout}", "--Robinhood:Leadership:LeaseDuration=00:00:30"];
        await using var forwarder = await RunningController.StartAsync(null, [.. setup.Args("replica-a"), .. args]);
        var owner = setup.StartReplicaProcess("replica-b", args);
        await using (owner)
        {
            var ownership = Ownership(forwarder);
            await Eventually.TrueAsync(() => ownership.Owned.Count == 3 && Services.Any(s => ownership.Owner(ownership.Map.Of(s))?.HttpAddress == owner.HttpAddress),
                TimeSpan.FromSeconds(60));
            var service = Services.First(s => ownership.Owner(ownership.Map.Of(s))?.HttpAddress == owner.HttpAddress);
            // Once the owner has restored the shard, a call through this replica reaches it.
            await Eventually.TrueAsync(async () => (await AdminAsync(forwarder, HttpMethod.Get, service, "")).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(30));

            await owner.PauseAsync();
            var elapsed = Stopwatch.StartNew();
            var stalled = await AdminAsync(forwarder, HttpMethod.Put, service, "/rollout", new { mode = "Shadow" });
            elapsed.Stop();
            output.WriteLine($"stalled owner: {(int)stalled.Status} after {elapsed.Elapsed.TotalSeconds:F2} s: {stalled.Body}");
            Assert.Equal(HttpStatusCode.GatewayTimeout, stalled.Status);
            Assert.InRange(elapsed.Elapsed, ForwardTimeout - TimeSpan.FromMilliseconds(50), ForwardTimeout + TimeSpan.FromSeconds(3));
            Assert.Contains($"forwarded the call to the owner of its shard at {owner.HttpAddress}, which did not answer within", stalled.Body, StringComparison.Ordinal);
            Assert.Equal(owner.GrpcAddress, stalled.Leader);

            await owner.KillAsync();
            elapsed.Restart();
            var dead = await AdminAsync(forwarder, HttpMethod.Get, service, "");
            elapsed.Stop();
            output.WriteLine($"dead owner: {(int)dead.Status} after {elapsed.Elapsed.TotalSeconds:F2} s: {dead.Body}");
            Assert.Equal(HttpStatusCode.BadGateway, dead.Status);
            Assert.True(elapsed.Elapsed < ForwardTimeout, $"a refused connection answered after {elapsed.Elapsed}");
            Assert.Contains($"could not reach the owner of its shard at {owner.HttpAddress}", dead.Body, StringComparison.Ordinal);
        }
    }

    private static double Forwarded(string outcome) => ControllerMetrics.AdminForwarded.WithLabels(outcome).Value;

    private static async Task<AdminAnswer> AdminAsync(RunningController replica, HttpMethod method, string service, string path, object? body = null, string token = AdminApi.Token)
    {
        using var request = AdminApi.Request(method, service, path, body, token);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await replica.Http.SendAsync(request, deadline.Token);
        string? Header(string name) => response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
        return new AdminAnswer(response.StatusCode, await response.Content.ReadAsStringAsync(deadline.Token),
            Header(AdminEndpoints.OwnerHeader), Header(AdminForwarder.ForwardedHeader), Header("WWW-Authenticate"));
    }

    private sealed record AdminAnswer(HttpStatusCode Status, string Body, string? Leader, string? ForwardedBy, string? Authenticate);
}
