namespace Robinhood.Control;

/// <summary>The controller's output for one endpoint after a tick (a value: a tick's output is one array).</summary>
/// <param name="Weight">Integer share; the mean over weighted endpoints is about 1000. 0 = send none.</param>
/// <param name="Utilization">The (smoothed) utilization signal the controller used; finite.</param>
public readonly record struct WeightedEndpoint(
    string Endpoint,
    string Zone,
    uint Weight,
    EndpointPhase Phase,
    double Utilization)
{
    /// <summary>The controller's own weight before the rollout mode and overrides (0 when not known, e.g. on a follower).</summary>
    public uint Computed { get; init; }

    /// <summary>Weight pinned by an operator, if any.</summary>
    public uint? Pinned { get; init; }

    /// <summary>Drained by an operator (rather than leaving membership).</summary>
    public bool Drained { get; init; }
}

/// <summary>All endpoints of a service after a tick, ordered by endpoint name.</summary>
/// <param name="Frozen">True when too many endpoints are stale and the weights were held.</param>
public sealed record ServiceWeights(
    string Service,
    IReadOnlyList<WeightedEndpoint> Endpoints,
    bool Frozen)
{
    /// <summary>The rollout mode the weights were published under (Active on a follower, which cannot know).</summary>
    public Rollout.ServiceRollout Rollout { get; init; } = Control.Rollout.ServiceRollout.Active;

    /// <summary>
    /// The same weights over a copy of the endpoints in <paramref name="buffer"/>, which is reused when it has
    /// the right length and replaced when not: a holder of weights across ticks copies without allocating.
    /// </summary>
    public ServiceWeights CopyTo(ref WeightedEndpoint[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Length != Endpoints.Count)
        {
            buffer = new WeightedEndpoint[Endpoints.Count];
        }

        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = Endpoints[i];
        }

        return this with { Endpoints = buffer };
    }
}
