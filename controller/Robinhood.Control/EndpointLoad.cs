namespace Robinhood.Control;

/// <summary>
/// One accepted load report for an endpoint, already validated at the edge. A value: an endpoint keeps
/// its latest report inline until the next tick, so 10,000 reports a second leave no objects behind.
/// </summary>
/// <param name="RequestsPerSecond">0 when the reporter does not know it.</param>
/// <param name="MaxInFlight">0 when unknown; the in-flight part of the signal is then ignored.</param>
public readonly record struct EndpointLoad(
    string Endpoint,
    string Zone,
    double CpuUtilization,
    uint InFlight,
    uint MaxInFlight,
    double RequestsPerSecond);
