using Prometheus;

namespace Robinhood.Agent.Reporting;

/// <summary>The agent's Prometheus metrics (<c>robinhood_agent_*</c>), in the default registry served at <c>/metrics</c>.</summary>
public sealed class AgentMetrics
{
    public Counter ReportsSent { get; } = Metrics.CreateCounter(
        "robinhood_agent_reports_sent_total", "Load reports written to the controller stream.");

    public Counter ReportsRefused { get; } = Metrics.CreateCounter(
        "robinhood_agent_reports_refused_total", "Load reports the controller acknowledged with accepted=false.");

    public Counter Reconnects { get; } = Metrics.CreateCounter(
        "robinhood_agent_reconnects_total", "Report streams re-opened after the previous one failed or ended.");

    public Gauge Connected { get; } = Metrics.CreateGauge(
        "robinhood_agent_connected_bool", "1 while a report stream is open and acknowledging, else 0.");

    public Gauge ReportInterval { get; } = Metrics.CreateGauge(
        "robinhood_agent_report_interval_seconds", "Interval between reports, as the controller last asked.");

    public Gauge CpuUtilization { get; } = Metrics.CreateGauge(
        "robinhood_agent_cpu_utilization_ratio", "CPU utilization in the last report, fraction of the allotment.", "endpoint");

    public Gauge InFlight { get; } = Metrics.CreateGauge(
        "robinhood_agent_in_flight_requests", "Requests in flight in the last report.", "endpoint");

    public Gauge Pods { get; } = Metrics.CreateGauge(
        "robinhood_agent_node_pods", "Node mode: running labelled pods on this node, as last listed and watched.");

    public Counter PodWatchEvents { get; } = Metrics.CreateCounter(
        "robinhood_agent_pod_watch_events_total", "Node mode: pod list/watch events by type (list, added, modified, deleted, gone, error).", "type");
}
