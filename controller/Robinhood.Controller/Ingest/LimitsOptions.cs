using System.ComponentModel.DataAnnotations;

namespace Robinhood.Controller.Ingest;

/// <summary>
/// <c>Robinhood:Limits</c>: what a caller can make the controller hold (docs/trust.md). Past a limit the
/// report or request is refused with a reason naming it. Defaults are sized for 100,000 endpoints.
/// </summary>
public sealed class LimitsOptions
{
    public const string Section = "Robinhood:Limits";

    /// <summary>Services the controller holds; a report that would create one more is refused (<c>service_limit</c>).</summary>
    [Range(1, 1_000_000)]
    public int MaxServices { get; set; } = 10_000;

    /// <summary>Endpoints per service; a report that would add one more is refused (<c>endpoint_limit</c>).</summary>
    [Range(1, 20_000)]
    public int MaxEndpointsPerService { get; set; } = 20_000;

    /// <summary>
    /// A service no endpoint has reported into for this long, and none of whose endpoints membership lists, is
    /// forgotten everywhere (memory, watchers, Redis, metrics, dashboard); a stream's sequence of an endpoint it
    /// has not carried for this long is dropped.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan ForgetIdleServicesAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Services one Report stream may report into (a node agent's pods, a sidecar's one); a report for one more is
    /// refused (<c>stream_limit</c>). A peer's forwarding stream (granted everything) is not limited.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxServicesPerStream { get; set; } = 1_000;

    /// <summary>
    /// A Report stream that brings no whole report for this long (silent, or a message trickling in) is ended
    /// with DEADLINE_EXCEEDED; agents report every second and reconnect.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReportStreamIdleTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A Report stream's refused reports are logged at most once per reason per this interval; the line says how
    /// many of that reason were not (a flood of bad reports is not a flood of log lines). Metrics count every refusal.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RefusedReportLogInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Services one Watch request may name.</summary>
    [Range(1, 10_000)]
    public int MaxWatchServices { get; set; } = 1_000;

    /// <summary>
    /// Services named by all Watch and xDS streams together, each watcher's names counted (about 0.5 KB each while
    /// held); a Watch or an xDS subscription that would pass it is refused (<c>watch_limit</c>). 500,000 is 5,000
    /// clients of 100 services each.
    /// </summary>
    [Range(1, 100_000_000)]
    public long MaxWatchSubscriptions { get; set; } = 500_000;
}
