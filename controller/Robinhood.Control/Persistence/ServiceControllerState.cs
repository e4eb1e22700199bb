namespace Robinhood.Control.Persistence;

/// <summary>
/// Everything a <see cref="ServiceController"/> needs to resume without resetting weights:
/// a plain record for System.Text.Json, stored by the host (e.g. in Redis).
/// </summary>
public sealed record ServiceControllerState
{
    /// <summary>Layout version of this record, for readers of older stored states.</summary>
    public int FormatVersion { get; init; } = 1;

    public string Service { get; init; } = "";

    /// <summary>Whether the last tick held the weights because too many endpoints were stale.</summary>
    public bool Frozen { get; init; }

    public IReadOnlyList<EndpointControlState> Endpoints { get; init; } = [];
}

/// <summary>The control state of one endpoint: lifecycle, weights, integrator and filters.</summary>
/// <param name="SelfRegistered">Joined by its own reports rather than by membership (only those are removed when stale for long).</param>
/// <param name="Left">Left membership: its reports no longer bring it back.</param>
/// <param name="Reported">Whether it has ever reported.</param>
/// <param name="Raw">Unnormalized controlled weight, exp(feed-forward + PID).</param>
/// <param name="Controlled">Controlled weight relative to the mean of the ACTIVE endpoints.</param>
/// <param name="Relative">Weight before integer scaling, relative to the mean of the ACTIVE endpoints.</param>
/// <param name="StaleFrom">The relative weight it had when it went STALE, eased from there.</param>
/// <param name="LogCapacity">Filter over log(requests_per_second / CPU).</param>
/// <param name="Settle">Ticks the PID still stays out after the capacity estimate jumped.</param>
/// <param name="Pending">The latest report not yet consumed by a tick, if any.</param>
public sealed record EndpointControlState(
    string Endpoint,
    string Zone,
    EndpointPhase Phase,
    bool SelfRegistered,
    bool Left,
    bool Reported,
    DateTimeOffset PhaseSince,
    DateTimeOffset WarmingSince,
    DateTimeOffset LastReportAt,
    double Raw,
    double Controlled,
    double Relative,
    double StaleFrom,
    uint Published,
    double Integral,
    double PreviousSignal,
    FilterState Signal,
    FilterState LogCapacity,
    int Settle,
    EndpointLoad? Pending);

/// <summary>Stored form of an adaptive filter.</summary>
public sealed record FilterState(double Value, double Variance, bool IsSet);
