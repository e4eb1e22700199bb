namespace Robinhood.Control;

/// <summary>Where an endpoint is in its lifecycle; mirrors the contract's EndpointState.</summary>
public enum EndpointPhase
{
    Warming,
    Active,
    Stale,
    Draining,
}
