using Prometheus;

namespace Robinhood.Controller;

/// <summary>The controller's Prometheus families, named robinhood_controller_&lt;what&gt;_&lt;unit&gt;.</summary>
public static class ControllerMetrics
{
    public static readonly Counter Reports = Metrics.CreateCounter(
        "robinhood_controller_reports_total", "Load reports received, by outcome and refusal reason.",
        "outcome", "reason");

    public static readonly Histogram TickDuration = Metrics.CreateHistogram(
        "robinhood_controller_tick_duration_seconds", "Time to run one control tick over every service.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });

    public static readonly Counter Snapshots = Metrics.CreateCounter(
        "robinhood_controller_snapshots_published_total", "Weight snapshots published, per service.", "service");

    public static readonly Gauge Watchers = Metrics.CreateGauge(
        "robinhood_controller_watchers", "Open Watch streams.");

    public static readonly Histogram PushLatency = Metrics.CreateHistogram(
        "robinhood_controller_push_latency_seconds", "From a snapshot's publication to its write on a Watch stream.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });

    public static readonly Gauge EndpointWeight = Metrics.CreateGauge(
        "robinhood_controller_endpoint_weight", "Published weight per endpoint.", "service", "endpoint");

    public static readonly Gauge EndpointUtilization = Metrics.CreateGauge(
        "robinhood_controller_endpoint_utilization_ratio", "Utilization signal the controller used, per endpoint.", "service", "endpoint");

    public static readonly Gauge EndpointState = Metrics.CreateGauge(
        "robinhood_controller_endpoint_state", "1 for the endpoint's current lifecycle state.", "service", "endpoint", "state");

    public static readonly Gauge MaxAvgUtilization = Metrics.CreateGauge(
        "robinhood_controller_service_max_avg_utilization_ratio", "Max over mean utilization of a service's active endpoints.", "service");

    public static readonly Gauge Frozen = Metrics.CreateGauge(
        "robinhood_controller_service_frozen", "1 while a service's weights are frozen (too many stale endpoints).", "service");

    public static readonly Counter ConfigReloads = Metrics.CreateCounter(
        "robinhood_controller_config_reloads_total", "Control settings reloads, applied or refused.", "outcome");
}
