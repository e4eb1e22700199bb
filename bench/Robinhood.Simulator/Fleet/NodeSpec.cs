namespace Robinhood.Simulator.Fleet;

/// <summary>The fixed hardware of one modelled endpoint.</summary>
/// <param name="Capacity">Requests per second the node serves at 100% CPU with no background load.</param>
/// <param name="ServiceTime">Latency of one request on an idle node, in seconds.</param>
/// <param name="MaxInFlight">The concurrency the endpoint is sized for (reported as max_in_flight).</param>
public sealed record NodeSpec(
    string Endpoint,
    string Zone,
    int Cores,
    double Capacity,
    double ServiceTime,
    uint MaxInFlight,
    double BaseBackground);
