using Google.Protobuf;
using Grpc.Core;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Robinhood.Controller.Auth;
using Robinhood.Controller.Control;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Membership;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Ingest;
using Robinhood.Controller.Tests.Kubernetes;
using Robinhood.Controller.Tests.Persistence;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Auth;

/// <summary>
/// The hijack: an agent allowed to report endpoint E into one service reports E (idle) into another to take
/// its traffic. Refused with static tokens, with Kubernetes membership (the in-process API server's
/// EndpointSlices), and through a follower replica with auth on in both modes.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ReportIntoAnotherServiceTests
{
    private const string Namespace = "robinhood";

    [Fact]
    public async Task StaticToken_GrantForOneService_EndpointCannotJoinAnother()
    {
        var file = await TokenFileAsync("agent-token checkout=10.0.0.1");
        await using var controller = await RunningController.StartAsync(null, "--Robinhood:Auth:Mode=StaticToken", $"--Robinhood:Auth:TokenFile={file}");
        using var stream = new RawReportStream(controller, Bearer("agent-token"));

        Assert.True((await stream.SendAsync(Report("checkout", "10.0.0.1:80", 1))).Accepted);
        var hijack = await stream.SendAsync(Report("payments", "10.0.0.1:80", 1));
        Assert.False(hijack.Accepted);
        Assert.Equal(AgentGrant.PermissionDenied.Message, hijack.Error);
        Assert.DoesNotContain("payments", controller.App.Services.GetRequiredService<Fleet>().Services);
    }

    [Fact]
    public async Task KubernetesMembership_EndpointOutsideTheServiceSlices_RefusedAndNothingSelfRegisters()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync();
        api.PutEndpointSlice(FakeKubernetesApiServer.Slice(Namespace, "checkout-1", "checkout", 8080, ("10.3.0.1", "zone-a")));
        api.PutEndpointSlice(FakeKubernetesApiServer.Slice(Namespace, "payments-1", "payments", 8080, ("10.4.0.1", "zone-a")));
        await using var controller = await RunningController.StartAsync(null,
        [
            .. KubernetesArgs(api, "solo"),
            "--Robinhood:Kubernetes:Services:0=checkout",
            "--Robinhood:Kubernetes:Services:1=payments",
            "--Robinhood:Control:Interval=00:00:00.100",
        ]);
        // Each service's slices are listed by a watch of their own: both must be in before checkout's first report
        // (payments' alone let it arrive before checkout's slices on a loaded machine, and it was refused).
        await Eventually.TrueAsync(() => controller.Snapshots.Get("payments").Endpoints.Count == 1 && controller.Snapshots.Get("checkout").Endpoints.Count == 1,
            TimeSpan.FromSeconds(15));
        using var stream = new RawReportStream(controller);

        Assert.True((await stream.SendAsync(Report("checkout", "10.3.0.1:8080", 1))).Accepted);
        foreach (var (service, endpoint) in new[] { ("payments", "10.3.0.1:8080"), ("checkout", "10.3.0.9:8080"), ("invented", "10.3.0.1:8080") })
        {
            var refused = await stream.SendAsync(Report(service, endpoint, 2));
            Assert.False(refused.Accepted, $"{endpoint} into {service}");
            Assert.StartsWith("endpoint is not a ready endpoint in this service's EndpointSlices", refused.Error, StringComparison.Ordinal);
        }

        var ticks = controller.Loop.Ticks;
        await Eventually.TrueAsync(() => controller.Loop.Ticks > ticks + 2, TimeSpan.FromSeconds(10));
        Assert.Equal(["10.4.0.1:8080"], controller.Snapshots.Get("payments").Endpoints.Select(e => e.Endpoint));
        Assert.Equal(["10.3.0.1:8080"], controller.Snapshots.Get("checkout").Endpoints.Select(e => e.Endpoint));
        Assert.Equal(0ul, controller.Snapshots.Get("invented").Version);
    }

    [Fact]
    public async Task Follower_StaticToken_HijackRefusedBeforeForwarding()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        // 10.0.0.1 serves both services, but the agent's token names only checkout.
        api.PutEndpointSlice(FakeKubernetesApiServer.Slice(Namespace, "checkout-1", "checkout", 80, ("10.0.0.1", "z")));
        api.PutEndpointSlice(FakeKubernetesApiServer.Slice(Namespace, "payments-1", "payments", 80, ("10.0.0.1", "z"), ("10.0.0.2", "z")));
        var tokens = await TokenFileAsync("agent-token checkout=10.0.0.1", "peer-token *=*");
        var peer = await TokenFileAsync("peer-token");
        string[] auth = ["--Robinhood:Auth:Mode=StaticToken", $"--Robinhood:Auth:TokenFile={tokens}", $"--Robinhood:Auth:ForwardTokenFile={peer}"];

        await using var pair = await ReplicaPair.StartAsync(api, redis, auth);
        using var stream = new RawReportStream(pair.Follower, Bearer("agent-token"));

        var own = await stream.SendAsync(Report("checkout", "10.0.0.1:80", 1));
        Assert.True(own.Accepted, own.Error);
        var hijack = await stream.SendAsync(Report("payments", "10.0.0.1:80", 1));
        Assert.False(hijack.Accepted);
        Assert.Equal(AgentGrant.PermissionDenied.Message, hijack.Error);
    }

    [Fact]
    public async Task Follower_KubernetesAuthAndMembership_HijackRefused()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        api.PutEndpointSlice(FakeKubernetesApiServer.Slice(Namespace, "checkout-1", "checkout", 80, ("10.2.0.7", "z")));
        api.PutEndpointSlice(FakeKubernetesApiServer.Slice(Namespace, "payments-1", "payments", 80, ("10.4.0.1", "z")));
        api.SetToken("pod-token", Authenticated("system:serviceaccount:shop:web", pod: "web-1"));
        api.SetToken("peer-token", Authenticated("system:serviceaccount:robinhood:controller", pod: "controller-0"));
        api.PutPod(AgentAuthenticationTests.Pod("shop", "web-1", "10.2.0.7"));
        var peer = await TokenFileAsync("peer-token");
        string[] auth =
        [
            "--Robinhood:Auth:Mode=Kubernetes",
            "--Robinhood:Auth:Peers:0=system:serviceaccount:robinhood:controller",
            $"--Robinhood:Auth:ForwardTokenFile={peer}",
        ];

        await using var pair = await ReplicaPair.StartAsync(api, redis, auth);
        using var stream = new RawReportStream(pair.Follower, Bearer("pod-token"));

        var own = await stream.SendAsync(Report("checkout", "10.2.0.7:80", 1));
        Assert.True(own.Accepted, own.Error);
        var hijack = await stream.SendAsync(Report("payments", "10.2.0.7:80", 1));
        Assert.False(hijack.Accepted);
        Assert.StartsWith("endpoint is not a ready endpoint in this service's EndpointSlices", hijack.Error, StringComparison.Ordinal);
        var notMine = await stream.SendAsync(Report("payments", "10.4.0.1:80", 1));
        Assert.False(notMine.Accepted);
        Assert.Equal(AgentGrant.PermissionDenied.Message, notMine.Error);
    }

    private static byte[] Report(string service, string endpoint, ulong sequence) =>
        new LoadReport { Service = service, Endpoint = endpoint, CpuUtilization = 0.01, Sequence = sequence }.ToByteArray();

    private static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    private static async Task<string> TokenFileAsync(params string[] lines)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllLinesAsync(file, lines);
        return file;
    }

    private static V1TokenReviewStatus Authenticated(string user, string pod) => AgentAuthenticationTests.Authenticated(["robinhood"], user, pod);

    private static string[] KubernetesArgs(FakeKubernetesApiServer api, string identity) => api.ControllerArgs(Namespace, identity);

    /// <summary>A leader and a follower sharing a Lease and a Redis; agents talk to the follower.</summary>
    private sealed class ReplicaPair : IAsyncDisposable
    {
        private ReplicaPair(RunningController leader, RunningController follower)
        {
            Leader = leader;
            Follower = follower;
        }

        public RunningController Leader { get; }

        public RunningController Follower { get; }

        public static async Task<ReplicaPair> StartAsync(FakeKubernetesApiServer api, RedisServer redis, string[] auth)
        {
            string[] Args(string identity) =>
            [
                .. KubernetesArgs(api, identity),
                "--Robinhood:Kubernetes:Services:0=checkout",
                "--Robinhood:Kubernetes:Services:1=payments",
                $"--ConnectionStrings:Redis={redis.ConnectionString}",
                "--Robinhood:Redis:ResyncInterval=00:00:00.500",
                "--Robinhood:Control:Interval=00:00:00.200",
                .. auth,
            ];

            var leader = await RunningController.StartAsync(null, Args("replica-a"));
            var leaderRole = leader.App.Services.GetRequiredService<Ownership>();
            await Eventually.TrueAsync(() => leaderRole.Owned.ContainsKey(0), TimeSpan.FromSeconds(15));
            var follower = await RunningController.StartAsync(null, Args("replica-b"));
            var role = follower.App.Services.GetRequiredService<Ownership>();
            await Eventually.TrueAsync(() => role.OwnerAddress(0) == leader.GrpcAddress && !role.Owned.ContainsKey(0), TimeSpan.FromSeconds(15));
            // The follower checks membership itself before it forwards: wait until it has seen the slices.
            await Eventually.TrueAsync(() => follower.App.Services.GetRequiredService<ServiceMembers>().Endpoints("payments").Count > 0, TimeSpan.FromSeconds(15));
            return new ReplicaPair(leader, follower);
        }

        public async ValueTask DisposeAsync()
        {
            await Follower.DisposeAsync();
            await Leader.DisposeAsync();
        }
    }
}
