using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using k8s.Models;
using Robinhood.Controller.Auth;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Ingest;
using Robinhood.Controller.Tests.Kubernetes;
using Robinhood.V1;
using Xunit.Abstractions;

namespace Robinhood.Controller.Tests.Auth;

/// <summary>
/// Grants on open streams follow the cluster (the in-process API server): a node agent may report a pod
/// scheduled after its stream opened and no longer one deleted; a revoked token ends its stream.
/// </summary>
public sealed class GrantsFollowTheClusterTests(ITestOutputHelper output)
{
    private const string NodeAgent = "system:serviceaccount:robinhood:agent";

    [Fact]
    public async Task NodeAgent_PodScheduledAfterStreamOpened_AcceptedWithinFiveSeconds_DeletedPodRefused()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync();
        api.SetToken("node-token", Authenticated(NodeAgent, pod: "agent-x", node: "node-a"));
        api.PutPod(AgentAuthenticationTests.Pod("shop", "web-1", "10.2.0.7", node: "node-a"));
        await using var controller = await RunningController.StartAsync(null,
            "--Robinhood:Auth:Mode=Kubernetes", $"--Robinhood:Kubernetes:Host={api.Host}", $"--Robinhood:Auth:NodeAgents:0={NodeAgent}");
        var opened = Stopwatch.StartNew();
        using var stream = new RawReportStream(controller, Bearer("node-token"));
        ulong sequence = 0;

        Assert.True((await stream.SendAsync(Report("10.2.0.7:8080", ++sequence))).Accepted);
        Assert.False((await stream.SendAsync(Report("10.2.0.8:8080", ++sequence))).Accepted);
        output.WriteLine($"first acks after {opened.Elapsed.TotalMilliseconds:F0} ms");

        // Scheduled on the node after the stream opened.
        var scheduled = Stopwatch.StartNew();
        api.PutPod(AgentAuthenticationTests.Pod("shop", "web-2", "10.2.0.8", node: "node-a"));
        ReportAck ack;
        do
        {
            ack = await stream.SendAsync(Report("10.2.0.8:8080", ++sequence));
            Assert.True(ack.Accepted || scheduled.Elapsed < TimeSpan.FromSeconds(5), $"still refused after {scheduled.Elapsed}: {ack.Error}");
        }
        while (!ack.Accepted && await Delay());

        output.WriteLine($"a pod scheduled after the stream opened was accepted after {scheduled.Elapsed.TotalMilliseconds:F0} ms");

        // Deleted (its IP may go to another pod): refused again.
        api.DeletePod("shop", "web-1");
        var deleted = Stopwatch.StartNew();
        do
        {
            ack = await stream.SendAsync(Report("10.2.0.7:8080", ++sequence));
            Assert.True(!ack.Accepted || deleted.Elapsed < TimeSpan.FromSeconds(5), "a deleted pod is still accepted");
        }
        while (ack.Accepted && await Delay());

        Assert.Equal(AgentGrant.PermissionDenied.Message, ack.Error);
        output.WriteLine($"a deleted pod was refused after {deleted.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task KubernetesToken_RevokedWhileStreamOpen_StreamEndsUnauthenticated()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync();
        api.SetToken("pod-token", Authenticated("system:serviceaccount:shop:web", pod: "web-1"));
        api.PutPod(AgentAuthenticationTests.Pod("shop", "web-1", "10.2.0.7"));
        await using var controller = await RunningController.StartAsync(null,
            "--Robinhood:Auth:Mode=Kubernetes", $"--Robinhood:Kubernetes:Host={api.Host}", "--Robinhood:Auth:CacheFor=00:00:01");
        using var stream = new RawReportStream(controller, Bearer("pod-token"));
        Assert.True((await stream.SendAsync(Report("10.2.0.7:8080", 1))).Accepted);

        api.SetToken("pod-token", new V1TokenReviewStatus { Authenticated = false, Error = "token has been invalidated" });
        var status = await EndsAsync(stream);
        Assert.Equal(StatusCode.Unauthenticated, status.StatusCode);
        Assert.Contains("invalidated", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StaticToken_RemovedFromFileWhileStreamOpen_StreamEndsUnauthenticated()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllLinesAsync(file, ["agent-token shop=10.2.0.7"]);
        await using var controller = await RunningController.StartAsync(null,
            "--Robinhood:Auth:Mode=StaticToken", $"--Robinhood:Auth:TokenFile={file}", "--Robinhood:Auth:CacheFor=00:00:01");
        using var stream = new RawReportStream(controller, Bearer("agent-token"));
        Assert.True((await stream.SendAsync(Report("10.2.0.7:8080", 1))).Accepted);

        await File.WriteAllLinesAsync(file, ["other-token shop=10.2.0.7"]);
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(1));
        Assert.Equal(StatusCode.Unauthenticated, (await EndsAsync(stream)).StatusCode);
    }

    /// <summary>Reports every 100 ms until the stream ends; its status. Fails after 10 s.</summary>
    private static async Task<Status> EndsAsync(RawReportStream stream)
    {
        var deadline = Stopwatch.StartNew();
        for (ulong sequence = 2; deadline.Elapsed < TimeSpan.FromSeconds(10); sequence++)
        {
            try
            {
                await stream.SendAsync(Report("10.2.0.7:8080", sequence));
            }
            catch (RpcException e)
            {
                return e.Status;
            }

            await Task.Delay(100);
        }

        Assert.Fail("the stream was still open after 10 s");
        return default;
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(50);
        return true;
    }

    private static byte[] Report(string endpoint, ulong sequence) =>
        new LoadReport { Service = "shop", Endpoint = endpoint, CpuUtilization = 0.2, Sequence = sequence }.ToByteArray();

    private static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    private static V1TokenReviewStatus Authenticated(string user, string pod, string? node = null) =>
        AgentAuthenticationTests.Authenticated(["robinhood"], user, pod, node);
}
