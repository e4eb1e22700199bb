using System.Buffers;

namespace Robinhood.Control.Normalization;

/// <summary>Scales weights so a group's mean is 1 while every weight stays within the configured bounds.</summary>
internal static class WeightNormalization
{
    /// <summary>A group's values up to this many are gathered on the stack; a larger service rents an array.</summary>
    private const int StackValues = 1024;

    /// <summary>
    /// Scales controlled weights so the reference group's mean is 1, within the bounds; sets
    /// <see cref="EndpointControlState.Controlled"/>. What a bound cuts off the integrator gives back (anti-windup).
    /// </summary>
    public static void NormalizeControlled(ReadOnlySpan<EndpointControlState> endpoints, ControlOptions o, EndpointPhase referencePhase)
    {
        var scale = BoundedScale(endpoints, o, new ControlledGroup(referencePhase));
        foreach (var e in endpoints)
        {
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
    /// The factor that makes the mean of the bounded, scaled values 1 over the endpoints of <paramref name="group"/>
    /// (clamping moves the mean, so rescale until it settles). The group's values are gathered into one contiguous
    /// buffer first: the passes then read doubles, not endpoints.
    /// </summary>
    public static double BoundedScale<TGroup>(ReadOnlySpan<EndpointControlState> endpoints, ControlOptions o, TGroup group)
        where TGroup : struct, IScaledGroup
    {
        double[]? rented = null;
        var buffer = endpoints.Length <= StackValues
            ? stackalloc double[endpoints.Length]
            : (rented = ArrayPool<double>.Shared.Rent(endpoints.Length));
        var n = 0;
        foreach (var e in endpoints)
        {
            if (group.Selects(e))
            {
                buffer[n++] = group.Value(e);
            }
        }

        var scale = BoundedScale(buffer[..n], o.MinWeightRatio, o.MaxWeightRatio);
        if (rented is not null)
        {
            ArrayPool<double>.Shared.Return(rented);
        }

        return scale;
    }

    /// <summary>
    /// The scale s where g(s) = Σ clamp(v·s, min, max) is the number of values. g rises with s, continuous and linear
    /// between the points where a value meets a bound, so each pass solves the line of the present clamping (Newton's
    /// step, exact once the clamping no longer changes) and falls back to halving a bracket around the solution when
    /// that step leaves it. Rescaling by n / g(s) alone, as before, crept toward the solution where many values sit at
    /// a bound: 14 passes a call on average at 10,000 endpoints, most of a tick's normalization.
    /// </summary>
    private static double BoundedScale(ReadOnlySpan<double> values, double min, double max)
    {
        var n = values.Length;
        double smallest = double.MaxValue, largest = 0;
        foreach (var value in values)
        {
            if (value > 0)
            {
                smallest = Math.Min(smallest, value);
                largest = Math.Max(largest, value);
            }
        }

        if (largest == 0)
        {
            // Nothing a scale can move.
            return 1;
        }

        // Below min / largest every value is at the floor (g = n·min ≤ n); above max / smallest every one is at the
        // ceiling (g = n·max ≥ n).
        double low = min / largest, high = max / smallest;
        var scale = Math.Clamp(1, low, high);
        for (var pass = 0; pass < 100; pass++)
        {
            double sum = 0, atBounds = 0, free = 0;
            foreach (var value in values)
            {
                var v = value * scale;
                var bounded = Math.Clamp(v, min, max);
                if (bounded == v)
                {
                    free += value;
                }
                else
                {
                    atBounds += bounded;
                }

                sum += bounded;
            }

            if (Math.Abs(sum - n) <= 1e-9 * n)
            {
                break;
            }

            (low, high) = sum < n ? (scale, high) : (low, scale);
            var line = free > 0 ? (n - atBounds) / free : double.NaN;
            scale = line > low && line < high ? line : (low + high) / 2;
            if (high - low <= 1e-12 * high)
            {
                break;
            }
        }

        return scale;
    }

    /// <summary>Which endpoints a bounded scale is over, and the value of each (a struct, so the loop calls it directly).</summary>
    internal interface IScaledGroup
    {
        bool Selects(EndpointControlState e);

        double Value(EndpointControlState e);
    }

    /// <summary>The reference group's controlled endpoints, by their unnormalized weight.</summary>
    private readonly struct ControlledGroup(EndpointPhase referencePhase) : IScaledGroup
    {
        public bool Selects(EndpointControlState e) => e.Phase == referencePhase && e.IsControlled;

        public double Value(EndpointControlState e) => e.Raw;
    }
}
