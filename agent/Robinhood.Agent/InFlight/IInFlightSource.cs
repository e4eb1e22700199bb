namespace Robinhood.Agent.InFlight;

/// <summary>Where the agent learns the application's in-flight requests.</summary>
public interface IInFlightSource
{
    /// <summary>Reads the current count; throws when the application cannot be asked (the report is then skipped).</summary>
    ValueTask<InFlightReading> ReadAsync(CancellationToken cancellationToken);
}
