namespace Robinhood.Control;

/// <summary>One accepted load report for an endpoint, already validated at the edge.</summary>
/// <param name="RequestsPerSecond">0 when the reporter does not know it.</param>
/// <param name="MaxInFlight">0 when unknown; the in-flight part of the signal is then ignored.</param>
public sealed record EndpointLoad(
    string Endpoint,
    string Zone,
    double CpuUtilization,
    uint InFlight,
    uint MaxInFlight,
    double RequestsPerSecond);
