using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Agent.Configuration;
using Robinhood.Agent.Node;
using Robinhood.Agent.Reporting;
using Robinhood.V1;

namespace Robinhood.Agent.Tests.Node;

public sealed class NodePodWatcherAgainstInProcessKubernetesApiTests : IAsyncLifetime
{
    private FakeKubernetesApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeKubernetesApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task ExecuteAsync_PodsListedThenWatched_TracksTheRunningLabelledPodsOfThisNodeOnly()
    {
        _api.PutPod(TestPods.Pod("web-0", TestPods.BurstableUid, "10.1.0.7"));
        _api.PutPod(TestPods.Pod("web-other-node", "11111111-2222-3333-4444-555555555555", "10.2.0.7", node: "node-2"));
        _api.PutPod(TestPods.Pod("unlabelled", "66666666-7777-8888-9999-000000000000", "10.1.0.9", service: null));
        using var watcher = await StartAsync(_api);
        await Eventually.TrueAsync(() => watcher.Pods.ContainsKey(TestPods.BurstableUid), "the listed pod is tracked");

        // Scheduled, then running: only the running pod with an IP is an endpoint.
        _api.PutPod(TestPods.Pod("web-1", TestPods.BestEffortUid, "10.1.0.8", phase: "Pending"));
        _api.PutPod(TestPods.Pod("web-1", TestPods.BestEffortUid, "10.1.0.8"));
        await Eventually.TrueAsync(() => watcher.Pods.ContainsKey(TestPods.BestEffortUid), "the pod added by a watch event is tracked");
        _api.DeletePod(TestPods.BurstableUid);
        await Eventually.TrueAsync(() => !watcher.Pods.ContainsKey(TestPods.BurstableUid), "the pod deleted by a watch event is dropped");

        Assert.Equal(["10.1.0.8:8080"], watcher.Pods.Values.Select(p => p.Endpoint));
        var queries = _api.Queries.Select(Uri.UnescapeDataString).ToList();
        Assert.All(queries, q => Assert.Contains("fieldSelector=spec.nodeName=node-1", q, StringComparison.Ordinal));
        Assert.All(queries, q => Assert.Contains("labelSelector=robinhood.io/service", q, StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("watch=true", StringComparison.Ordinal) && q.Contains("resourceVersion=103", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ExecuteAsync_PodStopsRunning_IsDroppedAsIfDeleted()
    {
        _api.PutPod(TestPods.Pod("web-0", TestPods.BurstableUid, "10.1.0.7"));
        using var watcher = await StartAsync(_api);
        await Eventually.TrueAsync(() => watcher.Pods.Count == 1, "the listed pod is tracked");

        _api.PutPod(TestPods.Pod("web-0", TestPods.BurstableUid, "10.1.0.7", phase: "Succeeded"));

        await Eventually.TrueAsync(() => watcher.Pods.Count == 0, "the pod that stopped running is dropped");
    }

    internal static async Task<NodePodWatcher> StartAsync(FakeKubernetesApi api, TimeProvider? time = null)
    {
        var options = new AgentOptions { Mode = AgentMode.Node, NodeName = TestPods.Node };
        var watcher = new NodePodWatcher(
            new Kubernetes(new KubernetesClientConfiguration { Host = api.Host }),
            Options.Create(options),
            new Backoff(options.ReconnectInitialDelay, options.ReconnectMaxDelay, new Random(7)),
            time ?? new FakeTimeProvider(),
            new AgentMetrics(),
            NullLogger<NodePodWatcher>.Instance);
        await watcher.StartAsync(CancellationToken.None);
        return watcher;
    }
}
