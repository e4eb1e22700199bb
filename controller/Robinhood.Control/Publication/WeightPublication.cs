using Robinhood.Control.Normalization;
using Robinhood.Control.Rollout;

namespace Robinhood.Control.Publication;

/// <summary>Turns controlled weights and lifecycle into the integer weights a tick publishes (mean ≈ 1000).</summary>
internal static class WeightPublication
{
    /// <summary>Mean published weight over weighted endpoints (0.1% resolution).</summary>
    public const double MeanWeight = 1000;

    /// <summary>Sets <see cref="EndpointControlState.Relative"/> and <see cref="EndpointControlState.Computed"/> of every endpoint.</summary>
    public static void Publish(ReadOnlySpan<EndpointControlState> endpoints, ControlOptions o, double setpoint, DateTimeOffset now)
    {
        for (var i = 0; i < endpoints.Length; i++)
        {
            var e = endpoints[i];
            var previous = e.Relative;
            e.Relative = e.Phase switch
            {
                _ when e.IsOverridden => 0,
                EndpointPhase.Draining => 0,
                EndpointPhase.Active => e.Signal.IsSet ? e.Controlled : o.WarmUpStartRatio,
                EndpointPhase.Stale => Ease(e.StaleFrom, o.StaleWeightRatio, now - e.PhaseSince, o.StaleDecay),
                _ => e.Signal.IsSet ? Ramp(e.Controlled, o.WarmUpStartRatio, now - e.WarmingSince, o.WarmUp) : o.WarmUpStartRatio,
            };

            if (e.Phase == EndpointPhase.Warming && e.Signal.IsSet && e.Signal.Value > setpoint && e.Relative > 0)
            {
                // Slow start never pushes a node that already runs hotter than the service.
                e.Relative = Math.Min(e.Relative, previous);
            }
        }

        // The bounds hold against the mean of everything published, not only of the ACTIVE endpoints.
        var scale = WeightNormalization.BoundedScale(endpoints, o, default(PublishedGroup));
        for (var i = 0; i < endpoints.Length; i++)
        {
            var e = endpoints[i];
            e.Computed = e.Phase == EndpointPhase.Draining || e.Drained ? 0
                : e.PinnedWeight is { } pinned ? pinned
                : ToInteger(Math.Clamp(e.Relative * scale, o.MinWeightRatio, o.MaxWeightRatio));
        }
    }

    /// <summary>Too many endpoints stale: keep every weight as published, except that leavers drain.</summary>
    public static void Hold(ReadOnlySpan<EndpointControlState> endpoints, ControlOptions o)
    {
        for (var i = 0; i < endpoints.Length; i++)
        {
            var e = endpoints[i];
            if (e.Phase == EndpointPhase.Draining)
            {
                e.Computed = 0;
            }
            else if (e.Computed == 0)
            {
                // A state stored before weights were computed apart from published ones holds only the published.
                e.Computed = e.Published > 0 ? e.Published : ToInteger(o.WarmUpStartRatio);
            }
        }
    }

    /// <summary>
    /// The tick's output: one value per endpoint, in endpoint order, written into <paramref name="output"/>
    /// (exactly as long as <paramref name="endpoints"/>).
    /// </summary>
    public static ServiceWeights Output(string service, ReadOnlySpan<EndpointControlState> endpoints, bool frozen, ServiceRollout rollout, WeightedEndpoint[] output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.Length != endpoints.Length)
        {
            throw new ArgumentException($"output holds {output.Length} endpoints, the service {endpoints.Length}", nameof(output));
        }

        for (var i = 0; i < output.Length; i++)
        {
            var e = endpoints[i];
            var phase = e.Drained ? EndpointPhase.Draining : e.Phase;
            output[i] = new WeightedEndpoint(e.Endpoint, e.Zone, e.Published, phase, e.Signal.IsSet ? e.Signal.Value : 0)
            {
                Computed = e.Computed,
                Pinned = e.PinnedWeight,
                Drained = e.Drained,
            };
        }

        return new ServiceWeights(service, output, frozen) { Rollout = rollout };
    }

    /// <summary>A weight relative to the mean as an integer share, never 0 (0 means "send none").</summary>
    private static uint ToInteger(double relative) => (uint)Math.Max(1, Math.Round(relative * MeanWeight));

    /// <summary>Slow start: from the start share toward the controlled weight, never above it.</summary>
    private static double Ramp(double controlled, double start, TimeSpan elapsed, TimeSpan warmUp)
    {
        if (controlled <= start)
        {
            return controlled;
        }

        var f = warmUp <= TimeSpan.Zero ? 1 : Math.Clamp(elapsed / warmUp, 0, 1);
        return start + (f * (controlled - start));
    }

    private static double Ease(double from, double to, TimeSpan elapsed, TimeSpan over)
    {
        var f = over <= TimeSpan.Zero ? 1 : Math.Clamp(elapsed / over, 0, 1);
        return from + (f * (to - from));
    }

    /// <summary>Every endpoint that is published a weight of the loop's (not draining, not overridden), by its relative weight.</summary>
    private readonly struct PublishedGroup : WeightNormalization.IScaledGroup
    {
        public bool Selects(EndpointControlState e) => e.Phase != EndpointPhase.Draining && !e.IsOverridden;

        public double Value(EndpointControlState e) => e.Relative;
    }
}
