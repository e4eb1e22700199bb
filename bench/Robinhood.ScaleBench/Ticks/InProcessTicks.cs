using System.Diagnostics;
using MathNet.Numerics.Statistics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Control;
using Robinhood.Controller.Control;
using Robinhood.Controller.Dashboard;
using Robinhood.Controller.Hosting;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Publish;
using Robinhood.ScaleBench.Hosting;
using Robinhood.ScaleBench.Load;

namespace Robinhood.ScaleBench.Ticks;

/// <summary>
/// Tick time measured with a stopwatch around <see cref="ControlLoop.Tick"/> in this process: the real
/// controller host, fed the same fleet through <see cref="Fleet.Observe"/> (no gRPC) on a fake clock
/// advanced one interval per tick, so endpoints pass warm-up as they would. Then the same ticks taken
/// apart into the things a tick does, to show where the time goes, with what a scrape adds.
/// </summary>
public static class InProcessTicks
{
    /// <summary>The command that measures only these ticks, of one fleet size.</summary>
    public const string Command = "ticks";

    // Past the 10 s warm-up on the fake clock, so most endpoints are under feedback control.
    private const int WarmTicks = 12;

    /// <summary>
    /// Ticks are measured only after this much wall time of warm-up ticks: the JIT compiles a method first quickly, then
    /// again optimized once it is hot, in the background. Measured after 12 ticks (~0.3 s), a tick took 15.8 ms p50 and 30 ms
    /// of the process's CPU with the JIT still at work, against 2.8 ms and 5.6 ms with everything compiled optimized at
    /// once (<c>DOTNET_TieredCompilation=0</c>), as the controller process is after its first seconds.
    /// </summary>
    private static readonly TimeSpan WarmFor = TimeSpan.FromSeconds(5);
    private const int MinTicks = 20;
    private const int MaxTicks = 60;
    private const int BreakdownTicks = 5;

    /// <summary>Measured ticks stop here once <see cref="MinTicks"/> are in, to keep a run short when ticks are slow.</summary>
    private static readonly TimeSpan MeasureFor = TimeSpan.FromSeconds(15);

    public static async Task<InProcessTickResult> MeasureAsync(int endpoints, FleetLayout layout, int seed)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        string[] args =
        [
            $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{ServerProcess.FreePort()}",
            "--Kestrel:Endpoints:Grpc:Protocols=Http2",
            $"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{ServerProcess.FreePort()}",
            // The loop's own timer never fires in the ticks driven here.
            "--Robinhood:Control:Interval=00:05:00",
            "--Robinhood:Control:StartupGrace=00:00:00",
            "--Logging:LogLevel:Default=Warning",
            // Without Redis every tick's state write warns; the child-process controller keeps that cost, this console does not need it.
            "--Logging:LogLevel:Robinhood.Controller.Persistence=Error",
        ];
        await using var app = ControllerHost.Build(args, b => b.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(time)));
        await app.StartAsync();
        var role = app.Services.GetRequiredService<Ownership>();
        for (var waited = 0; !role.Owned.ContainsKey(0) && waited < 1000; waited++)
        {
            await Task.Delay(10);
        }

        var fleet = app.Services.GetRequiredService<Fleet>();
        var loop = app.Services.GetRequiredService<ControlLoop>();
        var random = new Random(seed);
        var observe = new List<double>();
        var ticks = new List<double>();
        var cpu = new List<double>();
        var gcPauses = new List<double>();
        var allocated = new List<double>();
        var measuring = Stopwatch.StartNew();
        var warm = -1;
        for (var t = 0; warm < 0 || (t < warm + MaxTicks && (ticks.Count < MinTicks || measuring.Elapsed < MeasureFor)); t++)
        {
            if (warm < 0 && t >= WarmTicks && measuring.Elapsed >= WarmFor)
            {
                warm = t;
                measuring.Restart();
            }

            observe.Add(Observe(fleet, endpoints, layout, random));
            // As the loop does halfway between ticks: the next snapshots' arrays, made outside the measured tick.
            loop.BetweenTicks();
            time.Advance(TimeSpan.FromSeconds(1));
            // The precise allocation count reads every thread's allocation context: taken outside the stopwatch and
            // the CPU time, which measure the tick alone.
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var pausedBefore = GC.GetTotalPauseDuration();
            var cpuStarted = Environment.CpuUsage.TotalTime;
            var started = Stopwatch.GetTimestamp();
            loop.Tick();
            var elapsed = Stopwatch.GetElapsedTime(started);
            var cpuUsed = Environment.CpuUsage.TotalTime - cpuStarted;
            var paused = GC.GetTotalPauseDuration() - pausedBefore;
            var allocatedAfter = GC.GetTotalAllocatedBytes(precise: true);
            if (warm >= 0)
            {
                ticks.Add(elapsed.TotalMilliseconds);
                cpu.Add(cpuUsed.TotalMilliseconds);
                gcPauses.Add(paused.TotalMilliseconds);
                allocated.Add(allocatedAfter - allocatedBefore);
            }
        }

        var breakdown = Breakdown(app.Services, fleet, endpoints, layout, random, time);
        await app.StopAsync();
        return new InProcessTickResult(
            endpoints,
            ticks.Count,
            ticks.Quantile(0.5),
            ticks.Quantile(0.99),
            ticks.Maximum(),
            cpu.Quantile(0.5),
            cpu.Quantile(0.99),
            gcPauses.Count(p => p > 0),
            gcPauses.Maximum(),
            allocated.Median(),
            observe.Median() * 1000 / endpoints,
            breakdown);
    }

    /// <summary>One report per endpoint into the fleet; returns the milliseconds it took.</summary>
    private static double Observe(Fleet fleet, int endpoints, FleetLayout layout, Random random)
    {
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < endpoints; i++)
        {
            var cpu = FleetLayout.Load(i, random);
            fleet.Observe(layout.Service(i), new EndpointLoad(FleetLayout.Endpoint(i), "", cpu, (uint)(cpu * 0.6 * FleetLayout.MaxInFlight), FleetLayout.MaxInFlight, 200 * cpu));
        }

        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    /// <summary>
    /// What <see cref="ControlLoop.Tick"/> does per service, part by part, as mean thread CPU ms per tick; and
    /// what a Prometheus scrape adds (<see cref="TickMetrics.Export"/>, the gauges of every latest tick).
    /// </summary>
    private static TickBreakdown Breakdown(IServiceProvider services, Fleet fleet, int endpoints, FleetLayout layout, Random random, FakeTimeProvider time)
    {
        var metrics = services.GetRequiredService<TickMetrics>();
        var view = services.GetRequiredService<FleetView>();
        var publisher = services.GetRequiredService<SnapshotPublisher>();
        var cache = services.GetRequiredService<SnapshotCache>();
        TimeSpan control = default, record = default, publish = default, scrape = default;
        long controlBytes = 0, recordBytes = 0, publishBytes = 0;
        for (var t = 0; t < BreakdownTicks; t++)
        {
            Observe(fleet, endpoints, layout, random);
            publisher.PrepareNext();
            time.Advance(TimeSpan.FromSeconds(1));
            foreach (var service in fleet.Services)
            {
                var a = ThreadCpuTime.Now();
                var a0 = GC.GetAllocatedBytesForCurrentThread();
                var tick = fleet.Tick(service)!;
                var b0 = GC.GetAllocatedBytesForCurrentThread();
                var b = ThreadCpuTime.Now();
                metrics.Record(tick);
                view.Record(tick, time.GetUtcNow());
                var c0 = GC.GetAllocatedBytesForCurrentThread();
                var c = ThreadCpuTime.Now();
                if (publisher.Next(tick.Weights) is { } snapshot)
                {
                    cache.Set([snapshot]);
                }

                var d0 = GC.GetAllocatedBytesForCurrentThread();
                var d = ThreadCpuTime.Now();
                control += b - a;
                record += c - b;
                publish += d - c;
                controlBytes += b0 - a0;
                recordBytes += c0 - b0;
                publishBytes += d0 - c0;
            }

            var e = ThreadCpuTime.Now();
            metrics.Export();
            scrape += ThreadCpuTime.Now() - e;
        }

        double Ms(TimeSpan total) => total.TotalMilliseconds / BreakdownTicks;
        double KiB(long total) => total / 1024.0 / BreakdownTicks;
        return new TickBreakdown(Ms(control), Ms(record), Ms(publish), Ms(scrape), KiB(controlBytes), KiB(recordBytes), KiB(publishBytes));
    }
}

/// <summary>
/// Tick wall times (stopwatch), the process's CPU time during each tick (every thread: services are ticked
/// in parallel), how many ticks a GC paused and the longest such pause, the bytes a tick allocates (median;
/// nothing else runs in this process meanwhile), and the cost of ingesting one report.
/// </summary>
public sealed record InProcessTickResult(
    int Endpoints,
    int Ticks,
    double P50Ms,
    double P99Ms,
    double MaxMs,
    double CpuP50Ms,
    double CpuP99Ms,
    int TicksWithGcPause,
    double MaxGcPauseMs,
    double AllocatedBytesPerTick,
    double ObserveMicrosecondsPerReport,
    TickBreakdown Breakdown);

/// <summary>
/// Mean thread CPU milliseconds per tick in each part: the control step (Fleet.Tick), keeping the tick for
/// the gauges and the dashboard (TickMetrics.Record, FleetView.Record), the snapshot (SnapshotPublisher);
/// and per scrape, setting the gauges of every service's latest tick (TickMetrics.Export). With the KiB each of
/// the three parts of a tick allocates (GC.GetAllocatedBytesForCurrentThread around each, summed over services).
/// </summary>
public sealed record TickBreakdown(double ControlMs, double RecordMs, double PublishMs, double ScrapeMs, double ControlKiB, double RecordKiB, double PublishKiB);
