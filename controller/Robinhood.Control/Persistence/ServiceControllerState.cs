using Robinhood.Control.Rollout;

namespace Robinhood.Control.Persistence;

/// <summary>
/// Everything a <see cref="ServiceController"/> needs to resume without resetting weights:
/// a plain record (System.Text.Json round-trips it), stored by the host (the controller: protobuf in Redis).
/// </summary>
public sealed record ServiceControllerState
{
    /// <summary>Layout version of this record, for readers of older stored states.</summary>
    public int FormatVersion { get; init; } = 1;

    public string Service { get; init; } = "";

    /// <summary>Whether the last tick held the weights because too many endpoints were stale.</summary>
    public bool Frozen { get; init; }

    /// <summary>The rollout mode the operator chose (Active when never set).</summary>
    public ServiceRollout Rollout { get; init; } = ServiceRollout.Active;

    /// <summary>Copies of every endpoint's state, in endpoint order.</summary>
    public IReadOnlyList<EndpointControlState> Endpoints { get; init; } = [];
}
