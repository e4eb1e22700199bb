using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using k8s.Models;
using Robinhood.Controller.Auth;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Kubernetes;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Auth;

/// <summary>Bearer tokens on the Report stream: static tokens, and Kubernetes TokenReview against the in-process API server.</summary>
public sealed class AgentAuthenticationTests
{
    private const string Audience = "robinhood";

    [Fact]
    public async Task StaticToken_OwnEndpointAccepted_OthersRefusedAsPermissionDenied_StreamStaysOpen()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllLinesAsync(file, ["# agents", "token-a shop=10.0.0.1,shop=10.0.0.2:8080", "token-all *=*"]);
        await using var controller = await RunningController.StartAsync(null, "--Robinhood:Auth:Mode=StaticToken", $"--Robinhood:Auth:TokenFile={file}");
        var refused = ControllerMetrics.Reports.WithLabels("refused", "permission").Value;

        using var call = Open(controller, "token-a");
        Assert.True((await SendAsync(call, "10.0.0.1:9000", 1)).Accepted);
        Assert.True((await SendAsync(call, "10.0.0.2:8080", 1)).Accepted);
        var other = await SendAsync(call, "10.0.0.2:8081", 1);
        Assert.False(other.Accepted);
        Assert.Equal(AgentGrant.PermissionDenied.Message, other.Error);
        Assert.False((await SendAsync(call, "10.0.0.3:8080", 1)).Accepted);
        Assert.True((await SendAsync(call, "10.0.0.1:9000", 2)).Accepted);
        Assert.True(ControllerMetrics.Reports.WithLabels("refused", "permission").Value >= refused + 2);

        using var all = Open(controller, "token-all");
        Assert.True((await SendAsync(all, "10.9.9.9:1", 1)).Accepted);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-token")]
    public async Task StaticToken_MissingOrUnknown_StreamEndsUnauthenticated(string? token)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllLinesAsync(file, ["token-a *=*"]);
        await using var controller = await RunningController.StartAsync(null, "--Robinhood:Auth:Mode=StaticToken", $"--Robinhood:Auth:TokenFile={file}");

        using var call = Open(controller, token);
        var e = await Assert.ThrowsAsync<RpcException>(() => SendAsync(call, "10.0.0.1:80", 1));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
    }

    [Fact]
    public async Task KubernetesToken_PodOwnIpAccepted_SomeoneElsesEndpointRefused_ReviewCached()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync();
        api.SetToken("pod-token", Authenticated([Audience], "system:serviceaccount:shop:web", pod: "web-1"));
        api.PutPod(Pod("shop", "web-1", "10.2.0.7"));
        // The review is trusted for CacheFor (30 s) on the controller's clock: a fake one, so a slow machine
        // cannot pass it between the two streams (on the real clock this failed once).
        var time = new FakeTimeProvider();
        await using var controller = await RunningController.StartAsync(time, ["--Robinhood:Auth:Mode=Kubernetes", $"--Robinhood:Kubernetes:Host={api.Host}"]);

        using var call = Open(controller, "pod-token");
        Assert.True((await SendAsync(call, "10.2.0.7:8080", 1)).Accepted);
        var other = await SendAsync(call, "10.2.0.8:8080", 1);
        Assert.False(other.Accepted);
        Assert.Equal(AgentGrant.PermissionDenied.Message, other.Error);

        time.Advance(TimeSpan.FromSeconds(29));
        using var again = Open(controller, "pod-token");
        Assert.True((await SendAsync(again, "10.2.0.7:8080", 1)).Accepted);
        Assert.Equal(1, api.TokenReviews);

        time.Advance(TimeSpan.FromSeconds(2));
        using var later = Open(controller, "pod-token");
        Assert.True((await SendAsync(later, "10.2.0.7:8080", 1)).Accepted);
        Assert.Equal(2, api.TokenReviews);
    }

    [Fact]
    public async Task KubernetesToken_NodeAgent_MayReportEveryPodOnItsNode()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync();
        api.SetToken("node-token", Authenticated([Audience], "system:serviceaccount:robinhood:agent", pod: "agent-x", node: "node-a"));
        api.PutPod(Pod("shop", "web-1", "10.2.0.7", node: "node-a"));
        api.PutPod(Pod("shop", "web-2", "10.2.0.9", node: "node-b"));
        await using var controller = await StartAsync(api, "--Robinhood:Auth:NodeAgents:0=system:serviceaccount:robinhood:agent");

        using var call = Open(controller, "node-token");
        Assert.True((await SendAsync(call, "10.2.0.7:8080", 1)).Accepted);
        Assert.False((await SendAsync(call, "10.2.0.9:8080", 1)).Accepted);
    }

    [Fact]
    public async Task KubernetesToken_WrongAudience_StreamEndsUnauthenticated()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync();
        api.SetToken("vault-token", Authenticated(["vault"], "system:serviceaccount:shop:web", pod: "web-1"));
        api.PutPod(Pod("shop", "web-1", "10.2.0.7"));
        await using var controller = await StartAsync(api);

        using var call = Open(controller, "vault-token");
        var e = await Assert.ThrowsAsync<RpcException>(() => SendAsync(call, "10.2.0.7:8080", 1));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("audience", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KubernetesToken_Expired_StreamEndsUnauthenticated()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync();
        api.SetToken("expired-token", new V1TokenReviewStatus { Authenticated = false, Error = "token has expired" });
        await using var controller = await StartAsync(api);

        using var call = Open(controller, "expired-token");
        var e = await Assert.ThrowsAsync<RpcException>(() => SendAsync(call, "10.2.0.7:8080", 1));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("expired", e.Status.Detail, StringComparison.Ordinal);
    }

    private static Task<RunningController> StartAsync(FakeKubernetesApiServer api, params string[] args) =>
        RunningController.StartAsync(null, ["--Robinhood:Auth:Mode=Kubernetes", $"--Robinhood:Kubernetes:Host={api.Host}", .. args]);

    private static AsyncDuplexStreamingCall<LoadReport, ReportAck> Open(RunningController controller, string? token) =>
        controller.Reporter.Report(token is null ? null : new Metadata { { "authorization", "Bearer " + token } });

    private static async Task<ReportAck> SendAsync(AsyncDuplexStreamingCall<LoadReport, ReportAck> call, string endpoint, ulong sequence)
    {
        try
        {
            await call.RequestStream.WriteAsync(new LoadReport { Service = "shop", Endpoint = endpoint, CpuUtilization = 0.4, Sequence = sequence });
        }
        catch (RpcException)
        {
            // The server already ended the stream; the status comes from the response side.
        }

        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), "the stream closed instead of acking");
        return call.ResponseStream.Current;
    }

    internal static V1TokenReviewStatus Authenticated(string[] audiences, string user, string pod, string? node = null)
    {
        var extra = new Dictionary<string, IList<string>> { ["authentication.kubernetes.io/pod-name"] = [pod] };
        if (node is not null)
        {
            extra["authentication.kubernetes.io/node-name"] = [node];
        }

        return new V1TokenReviewStatus { Authenticated = true, Audiences = audiences, User = new V1UserInfo { Username = user, Extra = extra } };
    }

    internal static V1Pod Pod(string ns, string name, string ip, string node = "node-a") => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "app" }] },
        Status = new V1PodStatus { PodIP = ip, PodIPs = [new V1PodIP { Ip = ip }] },
    };
}
