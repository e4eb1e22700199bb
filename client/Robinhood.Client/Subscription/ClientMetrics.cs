using Prometheus;

namespace Robinhood.Client.Subscription;

/// <summary>The client's Prometheus metrics, <c>robinhood_client_*</c>.</summary>
internal static class ClientMetrics
{
    public static readonly Counter Snapshots = Metrics.CreateCounter(
        "robinhood_client_snapshots_total", "Snapshots received, by outcome (applied, stale).", "service", "outcome");

    public static readonly Gauge SnapshotVersion = Metrics.CreateGauge(
        "robinhood_client_snapshot_version", "Version of the snapshot in use.", "service");

    public static readonly Gauge Endpoints = Metrics.CreateGauge(
        "robinhood_client_endpoints", "Members of the service in the table in use.", "service");

    public static readonly Gauge Fallback = Metrics.CreateGauge(
        "robinhood_client_fallback_active", "1 while the service runs on equal weights because its snapshot is too old.", "service");

    public static readonly Gauge Connected = Metrics.CreateGauge(
        "robinhood_client_controller_connected", "1 while the Watch stream delivers snapshots.");

    public static readonly Counter Reconnects = Metrics.CreateCounter(
        "robinhood_client_watch_reconnects_total", "Watch streams that failed or ended and were retried.");

    public static readonly Counter Picks = Metrics.CreateCounter(
        "robinhood_client_picks_total", "Requests sent per endpoint by the HttpClient handler and the YARP policy.", "service", "endpoint");

    public static readonly Counter NoEndpoint = Metrics.CreateCounter(
        "robinhood_client_no_endpoint_total", "Requests refused because the service had no endpoint with a positive weight.", "service");
}
