using System.Diagnostics;
using MathNet.Numerics.Statistics;
using Robinhood.Controller.Hosting;
using Robinhood.ScaleBench.Cli;
using Robinhood.ScaleBench.Hosting;
using Robinhood.ScaleBench.Load;
using Robinhood.ScaleBench.Reporting;
using Robinhood.ScaleBench.Scraping;
using Robinhood.ScaleBench.Ticks;
using Robinhood.ScaleBench.Watch;

namespace Robinhood.ScaleBench;

/// <summary>
/// One benchmark run: tick times in-process, then the same report traffic against the ack-only baseline
/// and the real controller (each its own process), then watcher fan-out and memory on the controller.
/// </summary>
public sealed class ScaleRun(ScaleOptions options)
{
    private const string TickHistogram = "robinhood_controller_tick_duration_seconds";
    private const string PushHistogram = "robinhood_controller_push_latency_seconds";
    private const string XdsPushHistogram = "robinhood_controller_xds_push_latency_seconds";
    private const string ManagedMemory = "dotnet_total_memory_bytes";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly FleetLayout _layout = new(options.PerService);
    private PrometheusText? _steadyFrom;
    private DateTimeOffset _steadyFromAt;
    private SteadyTicks? _settling;

    public async Task<ScaleResults> RunAsync()
    {
        Directory.CreateDirectory(options.Out);
        var started = DateTimeOffset.UtcNow;
        var loadAverage = File.ReadAllText("/proc/loadavg").Split(' ')[..3];

        var inProcess = new List<InProcessTickResult>();
        foreach (var n in options.Endpoints)
        {
            Progress($"in-process ticks at {n:N0} endpoints");
            var measured = await InProcessTicks.MeasureAsync(n, _layout, options.Seed);
            inProcess.Add(measured);
            Progress($"  {measured.Ticks} ticks, p50 {measured.P50Ms:F2} ms, p99 {measured.P99Ms:F2} ms, {measured.AllocatedBytesPerTick / 1024:N0} KiB allocated per tick (median), {measured.TicksWithGcPause} paused by a GC; per part (KiB): control {measured.Breakdown.ControlKiB:N0}, record {measured.Breakdown.RecordKiB:N0}, snapshot {measured.Breakdown.PublishKiB:N0}");
        }

        var reports = new List<ReportPhase>();
        var self = typeof(ScaleRun).Assembly.Location;
        await using (var ackOnly = await ServerProcess.StartAsync(self, [AckOnlyServer.Command], Path.Combine(options.Out, "ack-only.log")))
        {
            await using var agents = new AgentFleet(ackOnly.GrpcAddress, options.Agents, _layout, 0, options.Seed);
            foreach (var n in options.Endpoints)
            {
                Progress($"ack-only baseline at {n:N0} endpoints");
                reports.Add(await MeasureReportsAsync(ScaleTable.AckOnly, ackOnly, agents, n, scrapeTicks: false));
            }
        }

        var watch = new List<WatchPhase>();
        MemoryFigure memory;
        SteadyTicks steady;
        string[] controllerArgs = ["--Robinhood:Control:Interval=00:00:01", "--Robinhood:Control:StartupGrace=00:00:00"];
        await using (var controller = await ServerProcess.StartAsync(ControllerDll(), controllerArgs, Path.Combine(options.Out, "controller.log")))
        {
            await Task.Delay(TimeSpan.FromSeconds(options.WarmUpSeconds));
            var idle = controller.Sample();
            var idleManaged = (await controller.ScrapeAsync()).Value(ManagedMemory) ?? double.NaN;
            await using var agents = new AgentFleet(controller.GrpcAddress, options.Agents, _layout, 0, options.Seed);
            foreach (var n in options.Endpoints)
            {
                Progress($"controller at {n:N0} endpoints");
                reports.Add(await MeasureReportsAsync(ScaleTable.Controller, controller, agents, n, scrapeTicks: true));
            }

            var loadedManaged = (await controller.ScrapeAsync()).Value(ManagedMemory) ?? double.NaN;
            memory = new MemoryFigure(options.MaxEndpoints, idle.RssBytes, reports[^1].ServerRssBytes, idleManaged, loadedManaged);

            // Every watcher on one service: the budget is one new snapshot reaching 1,000 watchers. Spread over
            // services, the last watcher's time would also hold the rest of the tick's control steps.
            string[] services = [_layout.Service(0)];
            foreach (var watchers in new[] { 1, options.Watchers }.Distinct())
            {
                Progress($"controller at {options.MaxEndpoints:N0} endpoints, {watchers:N0} watchers");
                var seconds = watchers == 1 ? Math.Max(5, options.Seconds / 2) : options.Seconds;
                watch.Add(await MeasureWatchersAsync(controller, watchers, services, seconds, xds: false));
            }

            // The same fan-out to as many xDS streams (ADS, the service's ClusterLoadAssignment each).
            Progress($"controller at {options.MaxEndpoints:N0} endpoints, {options.Watchers:N0} xDS streams");
            watch.Add(await MeasureWatchersAsync(controller, options.Watchers, services, options.Seconds, xds: true));

            steady = Ticks(_steadyFrom!, await controller.ScrapeAsync(), (DateTimeOffset.UtcNow - _steadyFromAt).TotalSeconds);
        }

        return new ScaleResults(
            started,
            Environment.ProcessorCount,
            string.Join(' ', loadAverage),
            options.Agents,
            options.PerService,
            options.Seconds,
            inProcess,
            reports,
            watch,
            _settling!,
            steady,
            memory);
    }

    private async Task<ReportPhase> MeasureReportsAsync(string target, ServerProcess server, AgentFleet agents, int endpoints, bool scrapeTicks)
    {
        var grownAt = DateTimeOffset.UtcNow;
        var grown = scrapeTicks && endpoints == options.MaxEndpoints ? await server.ScrapeAsync() : null;
        agents.Endpoints = endpoints;
        var firstScrapeMs = double.NaN;
        if (scrapeTicks)
        {
            // Prometheus scrapes every 15-30 s: the scrape that first exports the endpoints that just joined
            // (creating their series, ~11 per endpoint) happens during the warm-up, not at the window's start.
            await Task.Delay(TimeSpan.FromSeconds(options.WarmUpSeconds / 2.0));
            var scraping = Stopwatch.StartNew();
            await server.ScrapeAsync();
            firstScrapeMs = scraping.Elapsed.TotalMilliseconds;
        }

        await Task.Delay(TimeSpan.FromSeconds(scrapeTicks ? options.WarmUpSeconds / 2.0 : options.WarmUpSeconds));
        if (grown is not null)
        {
            await Task.Delay(TimeSpan.FromSeconds(options.SettleSeconds - options.WarmUpSeconds));
        }

        var before = scrapeTicks ? await server.ScrapeAsync() : null;
        var ticksBefore = before?.Histogram(TickHistogram);
        if (grown is not null)
        {
            _settling = Ticks(grown, before!, (DateTimeOffset.UtcNow - grownAt).TotalSeconds);
            _steadyFrom = before;
            _steadyFromAt = DateTimeOffset.UtcNow;
        }

        var load0 = agents.Read();
        var (server0, self0, machine0) = (server.Sample(), ProcessSample.Read(Environment.ProcessId), MachineSample.Read());
        agents.BeginLatencyWindow();
        await Task.Delay(TimeSpan.FromSeconds(options.Seconds));
        var latencies = agents.EndLatencyWindow();
        var (server1, self1, machine1) = (server.Sample(), ProcessSample.Read(Environment.ProcessId), MachineSample.Read());
        var load1 = agents.Read();
        var ticks = ticksBefore is null ? null : (await server.ScrapeAsync()).Histogram(TickHistogram).Since(ticksBefore);
        if (load1.Failure is { } failure)
        {
            throw new InvalidOperationException($"report traffic to {target} failed: {failure}");
        }

        var seconds = (server1.At - server0.At).TotalSeconds;
        var phase = new ReportPhase(
            target,
            endpoints,
            seconds,
            (load1.Sent - load0.Sent) / seconds,
            (load1.Acked - load0.Acked) / seconds,
            load1.Refused - load0.Refused,
            ProcessSample.Cores(server0, server1),
            ProcessSample.Cores(self0, self1),
            MachineSample.Cores(machine0, machine1),
            latencies.Count > 0 ? latencies.Quantile(0.5) : double.NaN,
            latencies.Count > 0 ? latencies.Quantile(0.99) : double.NaN,
            server1.RssBytes,
            ticks?.Total ?? double.NaN,
            (ticks?.Quantile(0.5) ?? double.NaN) * 1000,
            (ticks?.Quantile(0.99) ?? double.NaN) * 1000,
            firstScrapeMs);
        if (load1.FirstRefusal is { } refusal)
        {
            Progress($"  refused: {refusal}");
        }

        Progress($"  {phase.AckedPerSecond:N0} reports/s acked, server {phase.ServerCores:F2} cores, machine {phase.MachineCores:F2}, ack p99 {phase.AckP99Ms:F1} ms, tick p99 {phase.TickP99Ms:F2} ms");
        return phase;
    }

    private async Task<WatchPhase> MeasureWatchersAsync(ServerProcess server, int watchers, IReadOnlyList<string> services, int seconds, bool xds)
    {
        await using var fleet = new WatcherFleet(server.GrpcAddress, watchers, options.WatchConnections, services, xds);
        await fleet.AllStarted.WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(options.WarmUpSeconds));
        var scraping = Stopwatch.StartNew();
        var before = await server.ScrapeAsync();
        var scrapeMs = scraping.Elapsed.TotalMilliseconds;
        var push = xds ? XdsPushHistogram : PushHistogram;
        var (ticksBefore, pushBefore) = (before.Histogram(TickHistogram), before.Histogram(push));
        // The fan-out window opens a tick after that scrape: at 10,000 endpoints a scrape is a burst of CPU
        // (its time is reported), and Prometheus makes one every 15-30 s, not at the start of every window.
        await Task.Delay(Interval);
        var (server0, self0, machine0) = (server.Sample(), ProcessSample.Read(Environment.ProcessId), MachineSample.Read());
        var from = DateTimeOffset.UtcNow;
        fleet.BeginWindow();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var until = DateTimeOffset.UtcNow;
        var (server1, self1, machine1) = (server.Sample(), ProcessSample.Read(Environment.ProcessId), MachineSample.Read());

        // Snapshots of the last ticks in the window may still be on their way.
        await Task.Delay(Interval);
        var deliveries = fleet.EndWindow();
        var after = await server.ScrapeAsync();
        var (ticks, pushes) = (after.Histogram(TickHistogram).Since(ticksBefore), after.Histogram(push).Since(pushBefore));
        if (fleet.Failure is { } failure)
        {
            throw new InvalidOperationException($"watchers failed: {failure}");
        }

        var fanOut = TickFanOut.Group(deliveries, Interval).Where(t => t.FirstComputedAt >= from && t.FirstComputedAt < until).ToList();
        var latencies = fanOut.Select(t => t.ToLastWatcherMs).ToList();
        var phase = new WatchPhase(
            xds ? "xDS" : "Watch",
            watchers,
            Math.Min(options.WatchConnections, watchers),
            options.MaxEndpoints,
            (until - from).TotalSeconds,
            fanOut.Count,
            latencies.Count > 0 ? latencies.Quantile(0.5) : double.NaN,
            latencies.Count > 0 ? latencies.Quantile(0.99) : double.NaN,
            latencies.Count > 0 ? latencies.Maximum() : double.NaN,
            fanOut.Count > 0 ? fanOut.Average(t => t.WatchersReached) : 0,
            ProcessSample.Cores(server0, server1),
            ProcessSample.Cores(self0, self1),
            MachineSample.Cores(machine0, machine1),
            ticks.Quantile(0.5) * 1000,
            ticks.Quantile(0.99) * 1000,
            pushes.Quantile(0.5) * 1000,
            pushes.Quantile(0.99) * 1000,
            scrapeMs,
            latencies);
        Progress($"  {phase.Protocol}: tick→last watcher p50 {phase.P50Ms:F1} ms, p99 {phase.P99Ms:F1} ms over {phase.Ticks} ticks, {phase.MeanWatchersReached:N0} watchers reached per tick, server {phase.ServerCores:F2} cores");
        return phase;
    }

    /// <summary>The controller's ticks and collections between two scrapes at the largest fleet.</summary>
    private SteadyTicks Ticks(PrometheusText from, PrometheusText to, double seconds)
    {
        var ticks = to.Histogram(TickHistogram).Since(from.Histogram(TickHistogram));
        double Delta(string series) => (to.Value(series) ?? double.NaN) - (from.Value(series) ?? double.NaN);
        return new SteadyTicks(
            options.MaxEndpoints,
            ticks.Total,
            ticks.Quantile(0.5) * 1000,
            ticks.Quantile(0.9) * 1000,
            ticks.Quantile(0.99) * 1000,
            ticks.Above(0.01),
            [.. Enumerable.Range(0, 3).Select(g => to.Collections(g) - from.Collections(g))],
            seconds,
            Delta(PrometheusText.GcPauseSeconds) * 1000,
            Delta(PrometheusText.AllocatedBytes) / seconds / (1024 * 1024));
    }

    /// <summary>The controller build next to this benchmark (a project reference copies it with its runtimeconfig).</summary>
    private string ControllerDll()
    {
        var dll = options.Controller ?? typeof(ControllerHost).Assembly.Location;
        return File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json"))
            ? dll
            : throw new FileNotFoundException($"{dll} has no runtimeconfig next to it; pass --controller PATH/Robinhood.Controller.dll of a controller build");
    }

    private static void Progress(string line) => Console.Error.WriteLine($"[{DateTimeOffset.Now:HH:mm:ss}] {line}");
}
