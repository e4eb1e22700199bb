using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Agent.Configuration;
using Robinhood.Agent.Node;
using Robinhood.Agent.Tests.Reporting;
using Robinhood.V1;

namespace Robinhood.Agent.Tests.Node;

/// <summary>Node mode end to end: pods from an in-process Kubernetes API, CPU from fixture pod cgroups, reports to a real controller.</summary>
public sealed class NodeModeAgainstInProcessKubernetesApiTests : IAsyncLifetime
{
    private const string Burstable = "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod3f8a1c2e_7b4d_4e2a_9c1f_0a1b2c3d4e5f.slice/cpu.stat";
    private const string BestEffort = "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod9b1e2d3c_4a5b_4c6d_8e7f_102132435465.slice/cpu.stat";

    private readonly FakeTimeProvider _time = new();
    private readonly FixtureDirectory _cgroup = FixtureDirectory.Copy("node-cgroup-v2-systemd");
    private FakeKubernetesApi _api = null!;

    public async Task InitializeAsync() => _api = await FakeKubernetesApi.StartAsync();

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        _cgroup.Dispose();
    }

    [Fact]
    public async Task MeasureAsync_ThreePodsOnTheNode_EachCpuAgainstItsOwnLimitAndAnnotatedInFlight()
    {
        await using var application = await LoopbackServer.StartAsync(_ => { }, app => app.MapGet("/inflight", () => "{\"in_flight\":17}"));
        _api.PutPod(TestPods.Pod("web-0", TestPods.BurstableUid, "10.1.0.7", cpuLimit: "1500m"));
        _api.PutPod(TestPods.Pod("web-1", TestPods.BestEffortUid, "10.1.0.8"));
        _api.PutPod(TestPods.Pod("api-0", TestPods.GuaranteedUid, "10.1.0.9", service: "api", cpuLimit: "2", annotations: new Dictionary<string, string>
        {
            ["robinhood.io/in-flight-url"] = new Uri(application.Address(), "/inflight").ToString(),
            ["robinhood.io/max-in-flight"] = "32",
        }));
        using var watcher = await NodePodWatcherAgainstInProcessKubernetesApiTests.StartAsync(_api, _time);
        await Eventually.TrueAsync(() => watcher.Pods.Count == 3, "the three pods are listed");
        using var http = new HttpClient();
        var meter = new NodeLoadMeter(
            watcher,
            new PodCgroupLocator(_cgroup.Path),
            http,
            Options.Create(new AgentOptions { Mode = AgentMode.Node, NodeName = TestPods.Node, Zone = "zone-a" }),
            _time,
            NullLogger<NodeLoadMeter>.Instance,
            nodeCpus: 4);

        Assert.Empty(await meter.MeasureAsync(CancellationToken.None));
        _cgroup.Replace(Burstable, "usage_usec 20000000", "usage_usec 20750000");
        _cgroup.Replace(BestEffort, "usage_usec 11000000", "usage_usec 12000000");
        _time.Advance(TimeSpan.FromSeconds(1));
        var reports = (await meter.MeasureAsync(CancellationToken.None)).ToDictionary(r => r.Endpoint);

        // 0.75 CPU-s of the burstable pod's 1.5 (cpu.max), 1 of the best-effort pod's 4 (no quota: the node's).
        Assert.Equal(("web", 0.5, 0u, 0u), Summary(reports["10.1.0.7:8080"]));
        Assert.Equal(("web", 0.25, 0u, 0u), Summary(reports["10.1.0.8:8080"]));
        Assert.Equal(("api", 0.0, 17u, 32u), Summary(reports["10.1.0.9:8080"]));
        Assert.All(reports.Values, r => Assert.Equal("zone-a", r.Zone));
    }

    [Fact]
    public async Task AddRobinhoodAgent_NodeMode_ReportsEveryLabelledPodUntilAWatchEventDeletesIt()
    {
        await using var controller = await TestController.StartAsync();
        _api.PutPod(TestPods.Pod("web-0", TestPods.BurstableUid, "10.1.0.7", cpuLimit: "1500m"));
        _api.PutPod(TestPods.Pod("web-1", TestPods.BestEffortUid, "10.1.0.8"));
        _api.PutPod(TestPods.Pod("web-elsewhere", TestPods.GuaranteedUid, "10.2.0.9", node: "node-2"));
        await using var agent = await LoopbackServer.StartAsync(
            builder => builder.Services.AddSingleton<TimeProvider>(_time).AddRobinhoodAgent(builder.Configuration),
            _ => { },
            configuration: new Dictionary<string, string?>
            {
                ["Robinhood:Controller"] = controller.Address.ToString(),
                ["Robinhood:Agent:Mode"] = "Node",
                ["Robinhood:Agent:NodeName"] = TestPods.Node,
                ["Robinhood:Agent:KubernetesHost"] = _api.Host,
                ["Robinhood:Agent:CgroupRoot"] = _cgroup.Path,
            });

        var before = await AdvanceUntilAsync(controller, received =>
            received.Any(r => r.Endpoint == "10.1.0.7:8080") && received.Any(r => r.Endpoint == "10.1.0.8:8080"));
        var watcher = agent.Services.GetRequiredService<NodePodWatcher>();
        _api.DeletePod(TestPods.BestEffortUid);
        await Eventually.TrueAsync(() => !watcher.Pods.ContainsKey(TestPods.BestEffortUid), "the agent saw the deletion");
        var deletedAt = _time.GetUtcNow();
        var after = (await AdvanceUntilAsync(controller, received =>
            received.Count(r => r.ObservedAt.ToDateTimeOffset() > deletedAt && r.Endpoint == "10.1.0.7:8080") >= 3))
            .Where(r => r.ObservedAt.ToDateTimeOffset() > deletedAt)
            .ToList();

        Assert.All(before, r => Assert.Equal("web", r.Service));
        Assert.DoesNotContain(before.Concat(after), r => r.Endpoint.StartsWith("10.2.", StringComparison.Ordinal));
        Assert.Equal(["10.1.0.7:8080"], after.Select(r => r.Endpoint).Distinct());
    }

    private static (string, double, uint, uint) Summary(LoadReport report) =>
        (report.Service, Math.Round(report.CpuUtilization, 6), report.InFlight, report.MaxInFlight);

    /// <summary>Collects reports, advancing the clock a report interval whenever none is on its way, until <paramref name="done"/>.</summary>
    private async Task<List<LoadReport>> AdvanceUntilAsync(TestController controller, Func<List<LoadReport>, bool> done)
    {
        var received = new List<LoadReport>();
        var waited = Stopwatch.StartNew();
        while (!done(received))
        {
            if (waited.Elapsed > LoopbackServer.Timeout)
            {
                throw new TimeoutException($"Reports so far: {string.Join(", ", received.Select(r => $"{r.Sequence} {r.Endpoint}"))}");
            }

            if (await controller.ReportArrivesWithinAsync(TimeSpan.FromMilliseconds(50)))
            {
                received.Add((await controller.NextReportAsync()).Report);
            }
            else
            {
                _time.Advance(TimeSpan.FromSeconds(1));
            }
        }

        return received;
    }
}
