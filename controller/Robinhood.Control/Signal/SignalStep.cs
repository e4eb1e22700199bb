namespace Robinhood.Control.Signal;

/// <summary>
/// Turns each endpoint's pending report into its filtered utilization signal and its capacity estimate
/// (log of requests_per_second / CPU, as gRFC A58).
/// </summary>
internal static class SignalStep
{
    /// <summary>Below this CPU a capacity estimate (qps / CPU) is mostly noise.</summary>
    private const double MinCpuForEstimate = 0.01;

    /// <summary>Upper bound of a signal; in-flight can exceed its limit, but not without bound.</summary>
    private const double MaxSignal = 10;

    /// <summary>Ticks the PID stays out after the capacity estimate jumped: the report lag, plus one.</summary>
    private const int SettleTicks = 2;

    public static void Consume(ReadOnlySpan<EndpointControlState> endpoints, ControlOptions o)
    {
        for (var i = 0; i < endpoints.Length; i++)
        {
            var e = endpoints[i];
            var filter = e.Signal;
            e.PreviousSignal = filter.Value;
            e.Changed = false;
            if (e.Pending is not { } load)
            {
                continue;
            }

            e.Pending = null;
            var first = !filter.IsSet;
            var signal = SignalOf(load, o.Signal);
            e.Changed = filter.Update(signal, o.Smoothing, o.ChangeThreshold) && !first;
            e.Signal = filter;
            if (first)
            {
                e.PreviousSignal = filter.Value;
            }

            // Capacity from CPU, which is close to linear in load (see the remarks on ServiceController).
            var cpu = load.CpuUtilization;
            if (load.RequestsPerSecond > 0 && cpu >= MinCpuForEstimate)
            {
                var capacity = e.LogCapacity;
                var firstEstimate = !capacity.IsSet;
                // The PID waits for the estimate's answer to reach the reports, unless requests pile up while CPU falls
                // (a stall): the estimate does not see that, so the PID must answer at once.
                var stalling = signal > cpu && cpu < e.PreviousSignal;
                if (capacity.Update(Math.Log(load.RequestsPerSecond / cpu), o.CapacitySmoothing, o.ChangeThreshold) && !firstEstimate
                    && !stalling)
                {
                    e.Settle = SettleTicks;
                }

                e.LogCapacity = capacity;
            }
        }
    }

    /// <summary>The utilization one report shows under <paramref name="mode"/>, bounded and finite.</summary>
    public static double SignalOf(EndpointLoad load, SignalMode mode)
    {
        var cpu = load.CpuUtilization;
        var signal = cpu;
        if (load.MaxInFlight > 0)
        {
            var inFlight = (double)load.InFlight / load.MaxInFlight;
            signal = mode switch
            {
                SignalMode.Cpu => cpu,
                SignalMode.InFlight => inFlight,
                _ => Math.Max(cpu, inFlight),
            };
        }

        return double.IsFinite(signal) ? Math.Clamp(signal, 0, MaxSignal) : 0;
    }
}
