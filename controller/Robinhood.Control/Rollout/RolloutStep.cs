using Robinhood.Control.Publication;

namespace Robinhood.Control.Rollout;

/// <summary>
/// From computed to published weights: the service's rollout mode blends the controlled weights with equal
/// ones, and an operator's override (drain, pin) replaces an endpoint's weight.
/// </summary>
internal static class RolloutStep
{
    public static void Apply(ReadOnlySpan<EndpointControlState> endpoints, ServiceRollout rollout)
    {
        var share = rollout.ControlledShare;
        for (var i = 0; i < endpoints.Length; i++)
        {
            var e = endpoints[i];
            e.Published = e.Drained || e.Phase == EndpointPhase.Draining ? 0
                : e.PinnedWeight is { } pinned ? pinned
                : (uint)Math.Max(1, Math.Round((share * e.Computed) + ((1 - share) * WeightPublication.MeanWeight)));
        }
    }
}
