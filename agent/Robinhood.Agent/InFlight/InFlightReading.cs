namespace Robinhood.Agent.InFlight;

/// <summary>The application's load as it counts it: requests in flight now and, when known, completed requests per second.</summary>
public readonly record struct InFlightReading(uint InFlight, double? RequestsPerSecond);
