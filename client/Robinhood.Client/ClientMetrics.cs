using System.Diagnostics.Metrics;

namespace Robinhood.Client;

/// <summary>
/// The client's metrics on the <see cref="MeterName"/> meter (System.Diagnostics.Metrics), so OpenTelemetry
/// (<c>AddMeter("Robinhood.Client")</c>) or any <see cref="MeterListener"/> collects them. A Prometheus exporter names
/// them <c>robinhood_client_*</c> (dots to underscores, <c>_total</c> on counters).
/// </summary>
public static class ClientMetrics
{
    /// <summary>The name of the meter every Robinhood client instrument belongs to.</summary>
    public const string MeterName = "Robinhood.Client";

    private static readonly Meter Meter = new(MeterName);

    internal static readonly Counter<long> Snapshots = Meter.CreateCounter<long>(
        "robinhood.client.snapshots", description: "Snapshots received, by outcome (applied, stale).");

    internal static readonly Gauge<long> SnapshotVersion = Meter.CreateGauge<long>(
        "robinhood.client.snapshot_version", description: "Version of the snapshot in use.");

    internal static readonly Gauge<int> Endpoints = Meter.CreateGauge<int>(
        "robinhood.client.endpoints", description: "Members of the service in the table in use.");

    internal static readonly Gauge<int> Fallback = Meter.CreateGauge<int>(
        "robinhood.client.fallback_active", description: "1 while the service runs on equal weights because its snapshot is too old.");

    internal static readonly Gauge<int> Connected = Meter.CreateGauge<int>(
        "robinhood.client.controller_connected", description: "1 while the Watch stream delivers snapshots.");

    internal static readonly Counter<long> Reconnects = Meter.CreateCounter<long>(
        "robinhood.client.watch_reconnects", description: "Watch streams that failed or ended and were retried.");

    internal static readonly Counter<long> Picks = Meter.CreateCounter<long>(
        "robinhood.client.picks", description: "Requests sent per endpoint by the HttpClient handler and the YARP policy.");

    internal static readonly Counter<long> NoEndpoint = Meter.CreateCounter<long>(
        "robinhood.client.no_endpoint", description: "Requests refused because the service had no endpoint with a positive weight.");

    internal static readonly Counter<long> Ejections = Meter.CreateCounter<long>(
        "robinhood.client.ejections", description: "Endpoints ejected locally after consecutive failures.");

    internal static readonly Gauge<int> Ejected = Meter.CreateGauge<int>(
        "robinhood.client.ejected_endpoints", description: "Endpoints of the service ejected now.");

    internal static readonly Counter<long> Retries = Meter.CreateCounter<long>(
        "robinhood.client.retries", description: "Failed requests retried on another endpoint (sent) or not, because the retry budget was spent (budget_exhausted).");

    internal static KeyValuePair<string, object?> Service(string service) => new("service", service);

    internal static KeyValuePair<string, object?> Endpoint(string endpoint) => new("endpoint", endpoint);

    internal static KeyValuePair<string, object?> Outcome(string outcome) => new("outcome", outcome);
}
