using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Robinhood.ScaleBench.Reporting;

/// <summary>The results as markdown (figures against baselines and budgets, then where the time and CPU went) and as JSON.</summary>
public static class ScaleTable
{
    public const string AckOnly = "ack-only";
    public const string Controller = "controller";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string ToJson(ScaleResults results) => JsonSerializer.Serialize(results, Json);

    public static string ToMarkdown(ScaleResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var md = new StringBuilder();
        md.AppendLine(Inv($"Run {results.StartedAt:yyyy-MM-dd HH:mm} UTC on {results.Cores} cores (load average at start {results.LoadAverageAtStart}); {results.Agents} report streams, services of {results.PerService} endpoints, {results.Seconds} s windows."));
        md.AppendLine();
        md.AppendLine("| figure | at | controller | baseline | ratio | budget |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- |");
        var smallest = results.Reports.Where(r => r.Target == Controller).MinBy(r => r.Endpoints);
        foreach (var c in results.Reports.Where(r => r.Target == Controller))
        {
            var b = results.Reports.FirstOrDefault(r => r.Target == AckOnly && r.Endpoints == c.Endpoints);
            var at = Inv($"{c.Endpoints:N0} endpoints");
            var ingestBudget = c.Endpoints == 10000
                ? Verdict(c.AckedPerSecond >= 0.99 * c.Endpoints, "≥ 10,000/s")
                : "";
            md.AppendLine(Inv($"| reports/s sustained (offered {c.OfferedPerSecond:N0}) | {at} | {c.AckedPerSecond:N0}{Refusals(c)} | {b?.AckedPerSecond:N0} ack-only | {Ratio(c.AckedPerSecond, b?.AckedPerSecond)} | {ingestBudget} |"));
            md.AppendLine(Inv($"| server CPU, cores | {at} | {c.ServerCores:F3} | {b?.ServerCores:F3} ack-only | {Ratio(c.ServerCores, b?.ServerCores)} | {(c.Endpoints == 10000 ? Verdict(c.ServerCores <= 1, "≤ 1 core") : "")} |"));
            md.AppendLine(Inv($"| server CPU per report | {at} | {PerReport(c)} | {(b is null ? "" : PerReport(b))} ack-only | {Ratio(c.ServerCores / c.AckedPerSecond, b?.ServerCores / b?.AckedPerSecond)} | |"));
            md.AppendLine(Inv($"| report→ack p50 / p99 | {at} | {c.AckP50Ms:F2} / {c.AckP99Ms:F2} ms | {b?.AckP50Ms:F2} / {b?.AckP99Ms:F2} ms ack-only | {Ratio(c.AckP99Ms, b?.AckP99Ms)} (p99) | |"));
        }

        var inProcessSmallest = results.InProcessTicks.MinBy(t => t.Endpoints);
        foreach (var c in results.Reports.Where(r => r.Target == Controller))
        {
            var at = Inv($"{c.Endpoints:N0} endpoints");
            var baseline = c == smallest ? "" : Inv($"{smallest!.TickP50Ms:F2} / {smallest.TickP99Ms:F2} ms at {smallest.Endpoints:N0}");
            var ratio = c == smallest ? "" : Ratio(c.TickP99Ms, smallest!.TickP99Ms) + " (p99)";
            md.AppendLine(Inv($"| tick p50 / p99, /metrics histogram ({c.TickCount:F0} ticks) | {at} | {c.TickP50Ms:F2} / {c.TickP99Ms:F2} ms | {baseline} | {ratio} | {TickBudget(c.Endpoints, c.TickP99Ms)} |"));
            md.AppendLine(Inv($"| first /metrics scrape after the fleet grew to this size (creates the new series) | {at} | {c.FirstScrapeMs:F0} ms | | | |"));
        }

        var se = results.Settling;
        md.AppendLine(Inv($"| tick p50 / p90 / p99 while the fleet settles, from growing to {se.Endpoints:N0} to its first window ({se.Seconds:F0} s, {se.Ticks:F0} ticks; {se.Over10Ms:F0} over 10 ms; GCs gen 0/1/2: {se.Collections[0]:F0}/{se.Collections[1]:F0}/{se.Collections[2]:F0}, pausing {se.GcPauseMs:F0} ms) | {se.Endpoints:N0} endpoints, warming up | {se.P50Ms:F2} / {se.P90Ms:F2} / {se.P99Ms:F2} ms | | | |"));
        var st = results.Steady;
        md.AppendLine(Inv($"| tick p50 / p90 / p99, /metrics histogram over every window at {st.Endpoints:N0} ({st.Ticks:F0} ticks; {st.Over10Ms:F0} over 10 ms; GCs gen 0/1/2: {st.Collections[0]:F0}/{st.Collections[1]:F0}/{st.Collections[2]:F0}, pausing {st.GcPauseMs:F0} ms in {st.Seconds:F0} s; the process allocating {st.AllocatedMiBPerSecond:F1} MiB/s) | {st.Endpoints:N0} endpoints, with and without watchers | {st.P50Ms:F2} / {st.P90Ms:F2} / {st.P99Ms:F2} ms | | | {TickBudget(st.Endpoints, st.P99Ms)} |"));
        foreach (var t in results.InProcessTicks)
        {
            var at = Inv($"{t.Endpoints:N0} endpoints");
            var baseline = t == inProcessSmallest ? "" : Inv($"{inProcessSmallest!.P50Ms:F2} / {inProcessSmallest.P99Ms:F2} ms at {inProcessSmallest.Endpoints:N0}");
            var ratio = t == inProcessSmallest ? "" : Ratio(t.P99Ms, inProcessSmallest!.P99Ms) + " (p99)";
            md.AppendLine(Inv($"| tick p50 / p99, stopwatch in-process ({t.Ticks} ticks) | {at} | {t.P50Ms:F2} / {t.P99Ms:F2} ms | {baseline} | {ratio} | {TickBudget(t.Endpoints, t.P99Ms)} |"));
            var cpuBaseline = t == inProcessSmallest ? "" : Inv($"{inProcessSmallest!.CpuP50Ms:F2} / {inProcessSmallest.CpuP99Ms:F2} ms at {inProcessSmallest.Endpoints:N0}");
            var cpuRatio = t == inProcessSmallest ? "" : Ratio(t.CpuP99Ms, inProcessSmallest!.CpuP99Ms) + " (p99)";
            md.AppendLine(Inv($"| tick p50 / p99, process CPU time in-process (same ticks, all threads) | {at} | {t.CpuP50Ms:F2} / {t.CpuP99Ms:F2} ms | {cpuBaseline} | {cpuRatio} | |"));
            md.AppendLine(Inv($"| ticks a GC paused, longest pause (same ticks) | {at} | {t.TicksWithGcPause} of {t.Ticks}, {t.MaxGcPauseMs:F2} ms | | | |"));
            md.AppendLine(Inv($"| allocated per tick, median (same ticks) | {at} | {t.AllocatedBytesPerTick / 1048576:F2} MiB | | | |"));
        }

        var one = results.Watch.Where(w => w.Protocol == "Watch").MinBy(w => w.Watchers);
        foreach (var w in results.Watch.Where(w => w != one))
        {
            var streams = w.Protocol == "xDS" ? "xDS streams (ADS, its ClusterLoadAssignment)" : "watchers";
            var at = Inv($"{w.Watchers:N0} {streams} of one service on {w.Connections} connections, {w.Endpoints:N0} endpoints reporting");
            md.AppendLine(Inv($"| tick → last watcher p50 / p99 ({w.Ticks} ticks, {w.MeanWatchersReached:N0} watchers reached per tick) | {at} | {w.P50Ms:F1} / {w.P99Ms:F1} ms | {one?.P50Ms:F1} / {one?.P99Ms:F1} ms, 1 watcher | {Ratio(w.P99Ms, one?.P99Ms)} (p99) | {(w.Watchers >= 1000 ? Verdict(w.P99Ms <= 100, "≤ 100 ms") : "")} |"));
            md.AppendLine(Inv($"| controller's push latency p50 / p99 (computed_at → write handed to the stream, its histogram) | {at} | {w.ServerPushP50Ms:F1} / {w.ServerPushP99Ms:F1} ms | {one?.ServerPushP50Ms:F1} / {one?.ServerPushP99Ms:F1} ms, 1 watcher | {Ratio(w.ServerPushP99Ms, one?.ServerPushP99Ms)} (p99) | |"));
            md.AppendLine(Inv($"| server CPU with watchers, cores | {at} | {w.ServerCores:F3} | {one?.ServerCores:F3}, 1 watcher | {Ratio(w.ServerCores, one?.ServerCores)} | |"));
            md.AppendLine(Inv($"| a /metrics scrape (the window opens 1 s after it) | {at} | {w.ScrapeMs:F0} ms | {one?.ScrapeMs:F0} ms, 1 watcher | | |"));
        }

        var m = results.Memory;
        md.AppendLine(Inv($"| memory per endpoint, RSS | 0 → {m.Endpoints:N0} endpoints | {m.RssPerEndpoint / 1024:F1} KiB ({m.LoadedRssBytes / 1048576.0:F0} MiB) | {m.IdleRssBytes / 1048576.0:F0} MiB idle | {Ratio(m.LoadedRssBytes, m.IdleRssBytes)} | |"));
        md.AppendLine(Inv($"| memory per endpoint, managed heap | 0 → {m.Endpoints:N0} endpoints | {m.ManagedPerEndpoint / 1024:F1} KiB ({m.LoadedManagedBytes / 1048576.0:F0} MiB) | {m.IdleManagedBytes / 1048576.0:F0} MiB idle | {Ratio(m.LoadedManagedBytes, m.IdleManagedBytes)} | |"));

        md.AppendLine();
        md.AppendLine("Where a tick's time and allocation go (in-process, mean thread CPU ms and KiB allocated per tick, summed over services), what a Prometheus scrape adds, and ingest cost without gRPC:");
        md.AppendLine();
        md.AppendLine("| endpoints | control step (Fleet.Tick) | keep for gauges and dashboard (TickMetrics, FleetView .Record) | snapshot (SnapshotPublisher) | per scrape: gauges (TickMetrics.Export) | Fleet.Observe per report |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var t in results.InProcessTicks)
        {
            var b = t.Breakdown;
            md.AppendLine(Inv($"| {t.Endpoints:N0} | {b.ControlMs:F2} ms, {b.ControlKiB:N0} KiB | {b.RecordMs:F2} ms, {b.RecordKiB:N0} KiB | {b.PublishMs:F2} ms, {b.PublishKiB:N0} KiB | {b.ScrapeMs:F2} ms | {t.ObserveMicrosecondsPerReport:F2} µs |"));
        }

        md.AppendLine();
        md.AppendLine("CPU in each window, cores (machine = every process; other = machine − server − generator, i.e. other people's work):");
        md.AppendLine();
        md.AppendLine("| window | server | generator (this process) | machine | other |");
        md.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var r in results.Reports)
        {
            md.AppendLine(Inv($"| {r.Target}, {r.Endpoints:N0} endpoints | {r.ServerCores:F2} | {r.GeneratorCores:F2} | {r.MachineCores:F2} | {r.MachineCores - r.ServerCores - r.GeneratorCores:F2} |"));
        }

        foreach (var w in results.Watch)
        {
            md.AppendLine(Inv($"| controller, {w.Endpoints:N0} endpoints + {w.Watchers:N0} {(w.Protocol == "xDS" ? "xDS streams" : "watchers")} | {w.ServerCores:F2} | {w.GeneratorCores:F2} | {w.MachineCores:F2} | {w.MachineCores - w.ServerCores - w.GeneratorCores:F2} |"));
        }

        foreach (var w in results.Watch)
        {
            md.AppendLine();
            md.AppendLine(Inv($"Tick → last watcher per tick, {w.Watchers:N0} {w.Protocol} streams (ms): {string.Join(", ", w.PerTickMs.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))}"));
        }

        return md.ToString();
    }

    private static string TickBudget(int endpoints, double p99) => endpoints == 10000 ? Verdict(p99 <= 10, "≤ 10 ms") : "";

    private static string PerReport(ReportPhase phase) => Inv($"{phase.ServerCores * 1e6 / phase.AckedPerSecond:F1} µs");

    private static string Refusals(ReportPhase phase) => phase.Refused > 0 ? Inv($" ({phase.Refused:N0} REFUSED)") : "";

    private static string Verdict(bool met, string budget) => met ? $"{budget}: met" : $"{budget}: **MISSED**";

    private static string Ratio(double value, double? baseline) =>
        baseline is > 0 && double.IsFinite(value) ? Inv($"{value / baseline.Value:F2}×") : "";

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
