namespace Robinhood.Control.Normalization;

/// <summary>Scales weights so a group's mean is 1 while every weight stays within the configured bounds.</summary>
internal static class WeightNormalization
{
    /// <summary>
    /// Scales controlled weights so the reference group's mean is 1, within the bounds; sets
    /// <see cref="EndpointControlState.Controlled"/>. What a bound cuts off the integrator gives back (anti-windup).
    /// </summary>
    public static void NormalizeControlled(IReadOnlyList<EndpointControlState> endpoints, ControlOptions o, EndpointPhase referencePhase)
    {
        var scale = BoundedScale(endpoints, o, e => e.Phase == referencePhase && e.IsControlled, static e => e.Raw);
        for (var i = 0; i < endpoints.Count; i++)
        {
            var e = endpoints[i];
            if (!e.IsControlled)
            {
                continue;
            }

            var controlled = e.Raw * scale;
            var bounded = Math.Clamp(controlled, o.MinWeightRatio, o.MaxWeightRatio);
            if (bounded != controlled)
            {
                // Anti-windup by back-calculation: the integrator gives back what the bound cuts off, so the
                // weight leaves the bound as soon as the error turns. It gives back only its own share: when
                // the feed-forward drove the weight into the bound, pushing the integrator the other way
                // would leave it wound up once the estimate recovers (a start-up overload did exactly that).
                var excess = Math.Log(controlled / bounded);
                e.Integral -= excess > 0
                    ? Math.Min(excess, Math.Max(0, e.Integral))
                    : Math.Max(excess, Math.Min(0, e.Integral));
                e.Raw = bounded / scale;
            }

            e.Controlled = bounded;
        }
    }

    /// <summary>
    /// The factor that makes the mean of the bounded, scaled values 1 over the selected endpoints
    /// (clamping moves the mean, so rescale until it settles).
    /// </summary>
    public static double BoundedScale(
        IReadOnlyList<EndpointControlState> endpoints,
        ControlOptions o,
        Func<EndpointControlState, bool> selected,
        Func<EndpointControlState, double> value)
    {
        double scale = 1;
        for (var pass = 0; pass < 30; pass++)
        {
            double sum = 0;
            int n = 0, clamped = 0;
            for (var i = 0; i < endpoints.Count; i++)
            {
                var e = endpoints[i];
                if (selected(e))
                {
                    var v = value(e) * scale;
                    var bounded = Math.Clamp(v, o.MinWeightRatio, o.MaxWeightRatio);
                    clamped += bounded == v ? 0 : 1;
                    sum += bounded;
                    n++;
                }
            }

            if (n == 0 || sum <= 0)
            {
                break;
            }

            scale *= n / sum;
            if (clamped == 0 || Math.Abs(sum - n) < 1e-6 * n)
            {
                // Without clamping, one rescale is exact.
                break;
            }
        }

        return scale;
    }
}
