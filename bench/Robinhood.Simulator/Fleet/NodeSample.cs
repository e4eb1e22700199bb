namespace Robinhood.Simulator.Fleet;

/// <summary>The true state of one node over one tick (what actually happened, before measurement noise).</summary>
/// <param name="Cpu">CPU utilization in [0, 1]; saturates at 1.</param>
/// <param name="Served">Requests completed this tick (per second).</param>
/// <param name="Latency">Mean time a request spends on the node, queueing included, in seconds.</param>
/// <param name="InFlight">Requests on the node: Served × Latency (Little's law).</param>
/// <param name="Backlog">Requests waiting beyond what the node could serve this tick.</param>
/// <param name="Dropped">Requests refused because the queue was full.</param>
public readonly record struct NodeSample(
    double Arrivals,
    double Cpu,
    double Served,
    double Latency,
    double InFlight,
    double Backlog,
    double Dropped);
