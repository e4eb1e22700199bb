namespace Robinhood.Control.Pid;

/// <summary>
/// One PID step per controlled endpoint on the relative error (setpoint − signal) / setpoint, on top of the
/// capacity estimate's feed-forward; leaves each endpoint's unnormalized weight in <see cref="EndpointControlState.Raw"/>.
/// </summary>
internal static class PidStep
{
    /// <summary>
    /// Share of Ki at which the integrator gives back what it holds while the error is inside the noise band: slow
    /// enough that a loop crossing the band (an oscillating stall) is not kicked, fast enough to return to the estimate.
    /// </summary>
    private const double LeakShare = 0.1;

    /// <summary>
    /// The reference group: ACTIVE endpoints with a signal, or while none is past warm-up, the warming
    /// ones. The setpoint is their mean signal and normalization keeps their mean weight at 1.
    /// </summary>
    public static EndpointPhase ReferencePhase(ReadOnlySpan<EndpointControlState> endpoints)
    {
        for (var i = 0; i < endpoints.Length; i++)
        {
            var e = endpoints[i];
            if (e.Phase == EndpointPhase.Active && e.Signal.IsSet && !e.IsOverridden)
            {
                return EndpointPhase.Active;
            }
        }

        return EndpointPhase.Warming;
    }

    /// <summary>Steps every controlled endpoint; returns the setpoint (NaN when there is nothing to control).</summary>
    public static double Step(ReadOnlySpan<EndpointControlState> endpoints, ControlOptions o, EndpointPhase referencePhase)
    {
        double signalSum = 0, logCapacitySum = 0, integralSum = 0;
        int n = 0, withCapacity = 0;
        for (var i = 0; i < endpoints.Length; i++)
        {
            var e = endpoints[i];
            if (e.Phase == referencePhase && e.Signal.IsSet && !e.IsOverridden)
            {
                n++;
                signalSum += e.Signal.Value;
                integralSum += e.Integral;
                if (e.LogCapacity.IsSet && o.CapacityFeedForward)
                {
                    withCapacity++;
                    logCapacitySum += e.LogCapacity.Value;
                }
            }
        }

        var setpoint = n > 0 ? signalSum / n : double.NaN;
        if (n == 0 || !(setpoint > 1e-9))
        {
            return setpoint;
        }

        var meanLogCapacity = withCapacity > 0 ? logCapacitySum / withCapacity : 0;
        var meanIntegral = integralSum / n;
        var integralBound = Math.Log(o.MaxWeightRatio / o.MinWeightRatio);

        for (var i = 0; i < endpoints.Length; i++)
        {
            var e = endpoints[i];
            if (!e.IsControlled)
            {
                continue;
            }

            // Keep the integrators centred: only differences between endpoints matter.
            if (e.Phase == referencePhase)
            {
                e.Integral -= meanIntegral;
            }

            var signal = e.Signal.Value;
            if (e.Phase == EndpointPhase.Warming && referencePhase == EndpointPhase.Active && e.Relative > 0 && e.Controlled > e.Relative)
            {
                // Back-calculation against windup: a warming endpoint runs below its controlled weight (the
                // ramp holds it back), so judge the signal it would show at that weight. Background load
                // does not scale with the share, so this overestimates: the safe side. (When the whole
                // service warms up together, the ramp holds everyone back alike and shares are unaffected.)
                signal *= e.Controlled / e.Relative;
            }

            var feedForward = e.LogCapacity.IsSet && o.CapacityFeedForward && withCapacity > 0;
            // A service in Shadow or Blend publishes other weights than it computes, so the signal shows what the
            // published weight does. With a capacity estimate (valid at any weight) the PID holds still meanwhile,
            // or it would wind up against an imbalance it is not allowed to remove; without one, judge the signal
            // the endpoint would show at its computed weight, as for a warming endpoint.
            var shadowed = e.Published != e.Computed && e.Published > 0 && e.Computed > 0;
            if (shadowed && !feedForward)
            {
                signal *= (double)e.Computed / e.Published;
            }

            var error = shadowed && feedForward ? 0 : (setpoint - signal) / setpoint;
            e.FeedForward = feedForward ? e.LogCapacity.Value - meanLogCapacity : 0;
            if (!feedForward && Math.Abs(error) < o.Deadband)
            {
                // Inside the deadband the weight is left alone, against churn.
                e.Error = 0;
                e.Proportional = 0;
                e.Derivative = 0;
                continue;
            }

            if (feedForward)
            {
                // With a capacity estimate, an error within what the signal's own noise explains is left to the
                // estimate, which averages that noise where the PID would integrate it; beyond the band only the
                // excess counts, so the answer grows smoothly from the band's edge.
                var band = Math.Max(o.Deadband, o.NoiseBand * Math.Sqrt(e.Signal.Variance) / setpoint);
                error = Math.Abs(error) <= band ? 0 : error - Math.CopySign(band, error);
            }

            e.Error = error;
            e.Proportional = o.Kp * error;
            e.Derivative = shadowed && feedForward ? 0 : -o.Kd * (signal - e.PreviousSignal) / setpoint;

            // Right after the capacity estimate jumped, the reports still describe the old weights
            // (one interval of lag): the feed-forward alone answers, or P and I would answer twice.
            var integrate = e.Settle == 0;
            if (e.Settle > 0)
            {
                e.Settle--;
                e.Proportional = 0;
                e.Derivative = 0;
            }

            if (integrate)
            {
                // A real change (not noise) is integrated at once with ChangeGain: the PID's answer to a step
                // should not wait for many small integral steps.
                // Inside the band the capacity estimate balances on its own, so the integrator gives back what it
                // holds at the integral rate: held, it would keep the weight off the estimate's balance for good.
                e.Integral = shadowed && feedForward ? e.Integral
                    : feedForward && error == 0 ? e.Integral * (1 - (LeakShare * o.Ki))
                    : Math.Clamp(e.Integral + (IntegralGain(o, e) * error), -integralBound, integralBound);
            }

            e.Raw = Math.Exp(Math.Clamp(e.FeedForward + e.Proportional + e.Integral + e.Derivative, -50, 50));
        }

        return setpoint;
    }

    // A change the capacity estimate did not explain (it would have set Settle and skipped integration):
    // a stall piling up in-flight requests, or a change of background load. Answered at once.
    private static double IntegralGain(ControlOptions o, EndpointControlState e) =>
        e.Changed ? Math.Max(o.Ki, o.ChangeGain) : o.Ki;
}
