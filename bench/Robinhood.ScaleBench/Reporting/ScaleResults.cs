using Robinhood.ScaleBench.Ticks;

namespace Robinhood.ScaleBench.Reporting;

/// <summary>Everything one run measured; scale.json is this, scale.md is <see cref="ScaleTable"/> of it.</summary>
public sealed record ScaleResults(
    DateTimeOffset StartedAt,
    int Cores,
    string LoadAverageAtStart,
    int Agents,
    int PerService,
    int Seconds,
    IReadOnlyList<InProcessTickResult> InProcessTicks,
    IReadOnlyList<ReportPhase> Reports,
    IReadOnlyList<WatchPhase> Watch,
    SteadyTicks Settling,
    SteadyTicks Steady,
    MemoryFigure Memory);

/// <summary>
/// The controller's own tick histogram over a span at the largest fleet: <see cref="ScaleResults.Steady"/> is every
/// window there (reports, then 1 and 1,000 watchers), the most ticks any figure here rests on;
/// <see cref="ScaleResults.Settling"/> the <see cref="Cli.ScaleOptions.SettleSeconds"/> from the fleet growing to its
/// first window. <paramref name="Collections"/> are the GCs of
/// generations 0, 1 and 2 in the same span (a gen-1 collection is counted in gen 0 too), with the controller
/// process's total GC pause and the bytes it allocated per second (all of it: ingest, ticks, watchers, scrapes).
/// </summary>
public sealed record SteadyTicks(
    int Endpoints,
    double Ticks,
    double P50Ms,
    double P90Ms,
    double P99Ms,
    double Over10Ms,
    IReadOnlyList<double> Collections,
    double Seconds,
    double GcPauseMs,
    double AllocatedMiBPerSecond);

/// <summary>
/// One measured window of report traffic against one server. Cores are CPU time over wall time from
/// /proc: the server process, this load generator, and the whole machine (the rest is other people's work).
/// <paramref name="FirstScrapeMs"/>: the controller's first /metrics scrape after the fleet grew (during the
/// warm-up), which creates the new endpoints' series.
/// </summary>
public sealed record ReportPhase(
    string Target,
    int Endpoints,
    double Seconds,
    double OfferedPerSecond,
    double AckedPerSecond,
    long Refused,
    double ServerCores,
    double GeneratorCores,
    double MachineCores,
    double AckP50Ms,
    double AckP99Ms,
    long ServerRssBytes,
    double TickCount,
    double TickP50Ms,
    double TickP99Ms,
    double FirstScrapeMs);

/// <summary>
/// Tick-to-last-watcher over the ticks of one window, with the controller under the largest report load;
/// with the controller's own view (robinhood_controller_push_latency_seconds: computed_at to each write
/// handed to the stream) to tell the server's share from the receiving side's, and how long the /metrics
/// scrape before the window took (the window opens one tick interval after it).
/// </summary>
public sealed record WatchPhase(
    string Protocol,
    int Watchers,
    int Connections,
    int Endpoints,
    double Seconds,
    int Ticks,
    double P50Ms,
    double P99Ms,
    double MaxMs,
    double MeanWatchersReached,
    double ServerCores,
    double GeneratorCores,
    double MachineCores,
    double TickP50Ms,
    double TickP99Ms,
    double ServerPushP50Ms,
    double ServerPushP99Ms,
    double ScrapeMs,
    IReadOnlyList<double> PerTickMs);

/// <summary>The controller's memory idle (no endpoint) and at the largest fleet, as RSS and as the managed heap (GC.GetTotalMemory via /metrics).</summary>
public sealed record MemoryFigure(int Endpoints, long IdleRssBytes, long LoadedRssBytes, double IdleManagedBytes, double LoadedManagedBytes)
{
    public double RssPerEndpoint => (double)(LoadedRssBytes - IdleRssBytes) / Endpoints;

    public double ManagedPerEndpoint => (LoadedManagedBytes - IdleManagedBytes) / Endpoints;
}
