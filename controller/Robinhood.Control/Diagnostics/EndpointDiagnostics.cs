namespace Robinhood.Control.Diagnostics;

/// <summary>The terms of one endpoint's control step, for metrics and debugging.</summary>
/// <param name="Signal">Filtered utilization signal.</param>
/// <param name="Error">Relative error (setpoint − signal) / setpoint after the deadband.</param>
/// <param name="FeedForward">Log of the capacity estimate relative to the fleet (0 without one).</param>
/// <param name="Weight">Published integer weight.</param>
public readonly record struct EndpointDiagnostics(
    string Endpoint,
    EndpointPhase Phase,
    double Signal,
    double Error,
    double Proportional,
    double Integral,
    double Derivative,
    double FeedForward,
    uint Weight);
