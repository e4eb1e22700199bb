using Prometheus;

namespace Robinhood.Controller;

/// <summary>The controller's Prometheus families, named robinhood_controller_&lt;what&gt;_&lt;unit&gt;.</summary>
public static class ControllerMetrics
{
    /// <summary>
    /// Seconds, fine around the budgets (a tick in 10 ms, a snapshot at every watcher in 100 ms) so alerts
    /// and quantiles on them are not off by a factor-of-two bucket.
    /// </summary>
    private static readonly double[] LatencyBuckets =
        [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5];

    public static readonly Counter Reports = Metrics.CreateCounter(
        "robinhood_controller_reports_total", "Load reports received, by outcome and refusal reason.",
        "outcome", "reason");

    /// <summary>The accepted-reports series, looked up once: it is counted on every report.</summary>
    public static readonly Counter.Child ReportsAccepted = Reports.WithLabels("accepted", "");

    public static readonly Histogram TickDuration = Metrics.CreateHistogram(
        "robinhood_controller_tick_duration_seconds", "Time to run one control tick over every service.",
        new HistogramConfiguration { Buckets = LatencyBuckets });

    public static readonly Counter Snapshots = Metrics.CreateCounter(
        "robinhood_controller_snapshots_published_total", "Weight snapshots published, per service.", "service");

    public static readonly Counter WatchesRefused = Metrics.CreateCounter(
        "robinhood_controller_watches_refused_total", "Watch requests refused, by reason.", "reason");

    public static readonly Counter ReadsRefused = Metrics.CreateCounter(
        "robinhood_controller_reads_refused_total", "Reads refused for want of the read token (Robinhood:Read:Token), by API (watch, xds, dashboard, metrics) and reason (missing, invalid).",
        "api", "reason");

    public static readonly Gauge Watchers = Metrics.CreateGauge(
        "robinhood_controller_watchers", "Open Watch streams.");

    public static readonly Histogram PushLatency = Metrics.CreateHistogram(
        "robinhood_controller_push_latency_seconds", "From a snapshot's publication to its write on a Watch stream.",
        new HistogramConfiguration { Buckets = LatencyBuckets });

    public static readonly Gauge EndpointWeight = Metrics.CreateGauge(
        "robinhood_controller_endpoint_weight", "Published weight per endpoint.", "service", "endpoint");

    public static readonly Gauge EndpointUtilization = Metrics.CreateGauge(
        "robinhood_controller_endpoint_utilization_ratio", "Utilization signal the controller used, per endpoint.", "service", "endpoint");

    public static readonly Gauge EndpointState = Metrics.CreateGauge(
        "robinhood_controller_endpoint_state", "1 for the endpoint's current lifecycle state.", "service", "endpoint", "state");

    public static readonly Gauge MaxAvgUtilization = Metrics.CreateGauge(
        "robinhood_controller_service_max_avg_utilization_ratio", "Max over mean utilization of a service's active endpoints.", "service");

    public static readonly Gauge EndpointComputedWeight = Metrics.CreateGauge(
        "robinhood_controller_endpoint_computed_weight", "The controller's own weight per endpoint, before the rollout mode and overrides (what Shadow would publish in Active).", "service", "endpoint");

    public static readonly Gauge ControlledShare = Metrics.CreateGauge(
        "robinhood_controller_service_controlled_share", "Share of the computed weights in the published ones: 0 in Shadow, the fraction in Blend, 1 in Active.", "service");

    public static readonly Gauge PidTerm = Metrics.CreateGauge(
        "robinhood_controller_endpoint_pid_term", "The terms of an endpoint's last control step (relative error, P, I, D, feed-forward).",
        "service", "endpoint", "term");

    public static readonly Gauge Setpoint = Metrics.CreateGauge(
        "robinhood_controller_service_setpoint_ratio", "The setpoint: mean utilization signal of a service's active endpoints.", "service");

    public static readonly Gauge Frozen = Metrics.CreateGauge(
        "robinhood_controller_service_frozen", "1 while a service's weights are frozen (too many stale endpoints).", "service");

    public static readonly Counter ConfigReloads = Metrics.CreateCounter(
        "robinhood_controller_config_reloads_total", "Control settings reloads, applied or refused.", "outcome");

    public static readonly Gauge RedisUp = Metrics.CreateGauge(
        "robinhood_controller_redis_up", "1 while the Redis connection is up (0 also when Redis is not configured).");

    public static readonly Counter RedisErrors = Metrics.CreateCounter(
        "robinhood_controller_redis_errors_total", "Failed Redis operations and lost connections, by operation.", "operation");

    public static readonly Counter RedisWrites = Metrics.CreateCounter(
        "robinhood_controller_redis_writes_total", "State writes to Redis by the leader: written, or fenced (a higher epoch holds Redis).", "outcome");

    public static readonly Gauge Leader = Metrics.CreateGauge(
        "robinhood_controller_leader", "1 while this replica owns at least one shard (ticks and writes Redis for its services).");

    public static readonly Gauge ShardOwned = Metrics.CreateGauge(
        "robinhood_controller_shard_owned", "1 for each shard this replica owns (controls the services of), 0 for the others.", "shard");

    public static readonly Counter Forwarded = Metrics.CreateCounter(
        "robinhood_controller_reports_forwarded_total", "Reports forwarded to the owner of their service's shard, by outcome.", "outcome");

    public static readonly Counter AdminForwarded = Metrics.CreateCounter(
        "robinhood_controller_admin_calls_forwarded_total", "Admin calls for a service another replica controls, by outcome: forwarded and answered, unreachable or timeout; not forwarded as too_large, no_owner (503), not_advertised or loop (409).", "outcome");

    public static readonly Counter MembershipEvents = Metrics.CreateCounter(
        "robinhood_controller_membership_events_total", "EndpointSlice watch events and relists, by kind.", "kind");

    public static readonly Counter NodePodEvents = Metrics.CreateCounter(
        "robinhood_controller_node_pod_events_total", "Watch events and relists of the pods on nodes with a node agent streaming, by kind.", "kind");

    public static readonly Gauge XdsStreams = Metrics.CreateGauge(
        "robinhood_controller_xds_streams", "Open xDS streams, by service (ads, eds) and variant (sotw, delta).", "api", "variant");

    public static readonly Counter XdsResponses = Metrics.CreateCounter(
        "robinhood_controller_xds_responses_total", "xDS responses sent, by service and resource type.", "api", "type");

    public static readonly Counter XdsNacks = Metrics.CreateCounter(
        "robinhood_controller_xds_nacks_total", "xDS responses a client refused (NACK), by service and resource type.", "api", "type");

    public static readonly Histogram XdsPushLatency = Metrics.CreateHistogram(
        "robinhood_controller_xds_push_latency_seconds", "From a snapshot's publication to the write of the xDS response that brings a client its new version.",
        new HistogramConfiguration { Buckets = LatencyBuckets });
}
