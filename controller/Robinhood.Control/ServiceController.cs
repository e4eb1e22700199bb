using Robinhood.Control.Diagnostics;
using Robinhood.Control.Persistence;

namespace Robinhood.Control;

/// <summary>
/// The control loop of one service: keeps the latest load of every endpoint and, each tick,
/// moves every endpoint's weight so its utilization approaches the service average.
/// Not thread-safe: the host serializes Observe/Join/Leave/Tick per service.
/// </summary>
/// <remarks>
/// Weight of an endpoint = exp(feed-forward + P + I + D), where the feed-forward is the log of
/// its capacity estimate (requests_per_second / CPU, as gRFC A58) relative to the fleet and
/// the PID works on the relative error (setpoint − signal) / setpoint. The estimate lands near
/// balance in one step; the PID removes what it gets wrong (background load, a stalled node whose
/// CPU falls while its in-flight requests pile up). Without requests_per_second the PID alone controls.
/// The estimate uses CPU, never the in-flight part of the signal: near saturation in-flight grows
/// like 1/(1 − ρ), so qps / in-flight collapses by several times for a few % more load and the
/// feed-forward then drives a limit cycle; in-flight acts through the PID only, where the gains bound it.
/// </remarks>
public sealed class ServiceController
{
    /// <summary>Mean published weight over weighted endpoints (0.1% resolution).</summary>
    public const double MeanWeight = 1000;

    /// <summary>Below this CPU a capacity estimate (qps / CPU) is mostly noise.</summary>
    private const double MinCpuForEstimate = 0.01;

    /// <summary>Upper bound of a signal; in-flight can exceed its limit, but not without bound.</summary>
    private const double MaxSignal = 10;

    /// <summary>Ticks the PID stays out after the capacity estimate jumped: the report lag, plus one.</summary>
    private const int SettleTicks = 2;

    private readonly TimeProvider _time;
    private readonly Dictionary<string, EndpointControl> _byName = new(StringComparer.Ordinal);
    private readonly List<EndpointControl> _ordered = [];
    private readonly List<EndpointDiagnostics> _diagnostics = [];
    private bool _orderDirty;

    public ServiceController(string service, ControlOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        Service = service;
        Options = options;
        _time = time;
    }

    public string Service { get; }

    /// <summary>Live gains; a new value takes effect at the next tick. Must already be valid.</summary>
    public ControlOptions Options { get; set; }

    /// <summary>The setpoint (mean signal of ACTIVE endpoints) of the last tick; NaN before any.</summary>
    public double Setpoint { get; private set; } = double.NaN;

    /// <summary>Whether the last tick held the weights because too many endpoints were stale.</summary>
    public bool Frozen { get; private set; }

    /// <summary>Per-endpoint terms of the last tick, in endpoint order; overwritten by the next tick.</summary>
    public IReadOnlyList<EndpointDiagnostics> Diagnostics => _diagnostics;

    /// <summary>Number of endpoints known, draining ones included.</summary>
    public int Count => _byName.Count;

    /// <summary>Records the latest load of an endpoint; an unknown endpoint joins (WARMING).</summary>
    public void Observe(EndpointLoad load)
    {
        ArgumentNullException.ThrowIfNull(load.Endpoint, nameof(load));
        var now = _time.GetUtcNow();
        if (!_byName.TryGetValue(load.Endpoint, out var e))
        {
            e = Add(load.Endpoint, now);
            e.SelfRegistered = true;
        }
        else if (e.Left)
        {
            // Left membership: reports of a pod shutting down do not bring it back.
            return;
        }
        else if (e.Phase == EndpointPhase.Draining)
        {
            // Removed for staleness and now reporting again: a new endpoint.
            e.ResetControl();
            e.PhaseSince = now;
        }

        if (!e.Reported)
        {
            e.Reported = true;
            e.WarmingSince = now;
        }

        if (e.Phase == EndpointPhase.Stale)
        {
            e.Phase = EndpointPhase.Active;
            e.PhaseSince = now;
        }

        if (load.Zone.Length > 0 && !string.Equals(e.Zone, load.Zone, StringComparison.Ordinal))
        {
            // Only on a change: every report brings its own copy of the same string, and keeping it
            // would hand the garbage collector a new survivor per report.
            e.Zone = load.Zone;
        }

        e.LastReportAt = now;
        // Held with the endpoint's own strings, not the report's: a long-lived endpoint pointing at each
        // new report's strings would make every garbage collection trace them.
        e.Pending = load with { Endpoint = e.Name, Zone = e.Zone };
    }

    /// <summary>An endpoint discovered by membership before it reports: it gets a safe default share.</summary>
    public void Join(string endpoint, string zone)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var now = _time.GetUtcNow();
        if (!_byName.TryGetValue(endpoint, out var e))
        {
            e = Add(endpoint, now);
        }
        else if (e.Phase == EndpointPhase.Draining)
        {
            e.ResetControl();
            e.PhaseSince = now;
        }

        e.SelfRegistered = false;
        if (!string.IsNullOrEmpty(zone))
        {
            e.Zone = zone;
        }
    }

    /// <summary>An endpoint that left membership: DRAINING with weight 0, then forgotten.</summary>
    public void Leave(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (_byName.TryGetValue(endpoint, out var e) && !e.Left)
        {
            e.Left = true;
            e.Phase = EndpointPhase.Draining;
            e.PhaseSince = _time.GetUtcNow();
            e.Pending = null;
        }
    }

    /// <summary>One control step at the current time of the injected clock.</summary>
    public ServiceWeights Tick()
    {
        var o = Options;
        var now = _time.GetUtcNow();
        AdvanceLifecycle(o, now);
        if (_orderDirty)
        {
            _ordered.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            _orderDirty = false;
        }

        ConsumeReports(o);

        int members = 0, stale = 0;
        foreach (var e in _ordered)
        {
            members += e.Phase == EndpointPhase.Draining ? 0 : 1;
            stale += e.Phase == EndpointPhase.Stale ? 1 : 0;
        }

        Frozen = members > 0 && stale > o.FreezeStaleRatio * members;
        if (Frozen)
        {
            HoldWeights(o);
        }
        else
        {
            Control(o);
            Publish(o, now);
        }

        return Output();
    }

    /// <summary>A copy of the whole control state, for persistence.</summary>
    public ServiceControllerState Capture()
    {
        var endpoints = new EndpointControlState[_ordered.Count];
        for (var i = 0; i < endpoints.Length; i++)
        {
            endpoints[i] = _ordered[i].Capture();
        }

        return new ServiceControllerState { Service = Service, Frozen = Frozen, Endpoints = endpoints };
    }

    /// <summary>Replaces the whole control state with a captured one; the next tick continues from it.</summary>
    public void Restore(ServiceControllerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!string.Equals(state.Service, Service, StringComparison.Ordinal))
        {
            throw new ArgumentException($"State of service '{state.Service}' cannot be restored into '{Service}'.", nameof(state));
        }

        _byName.Clear();
        _ordered.Clear();
        foreach (var s in state.Endpoints)
        {
            var e = EndpointControl.Restore(s);
            if (_byName.TryAdd(e.Name, e))
            {
                _ordered.Add(e);
            }
        }

        Frozen = state.Frozen;
        _orderDirty = true;
    }

    private EndpointControl Add(string name, DateTimeOffset now)
    {
        var e = new EndpointControl(name) { PhaseSince = now };
        _byName.Add(name, e);
        _ordered.Add(e);
        _orderDirty = true;
        return e;
    }

    private void AdvanceLifecycle(ControlOptions o, DateTimeOffset now)
    {
        var forget = false;
        foreach (var e in _ordered)
        {
            if (e.Phase == EndpointPhase.Draining)
            {
                forget |= now - e.PhaseSince >= o.DrainFor;
                continue;
            }

            if (!e.Reported)
            {
                continue;
            }

            var silent = now - e.LastReportAt;
            if (e.SelfRegistered && silent >= o.RemoveAfter)
            {
                e.Phase = EndpointPhase.Draining;
                e.PhaseSince = now;
                e.Pending = null;
            }
            else if (silent >= o.StaleAfter)
            {
                if (e.Phase != EndpointPhase.Stale)
                {
                    e.Phase = EndpointPhase.Stale;
                    e.PhaseSince = now;
                    e.StaleFrom = e.Relative;
                }
            }
            else if (e.Phase == EndpointPhase.Warming && now - e.WarmingSince >= o.WarmUp)
            {
                e.Phase = EndpointPhase.Active;
                e.PhaseSince = now;
            }
        }

        if (forget)
        {
            _ordered.RemoveAll(e =>
            {
                var gone = e.Phase == EndpointPhase.Draining && now - e.PhaseSince >= o.DrainFor;
                if (gone)
                {
                    _byName.Remove(e.Name);
                }

                return gone;
            });
        }
    }

    private void ConsumeReports(ControlOptions o)
    {
        foreach (var e in _ordered)
        {
            e.PreviousSignal = e.Signal.Value;
            e.Changed = false;
            if (e.Pending is not { } load)
            {
                continue;
            }

            e.Pending = null;
            var signal = SignalOf(load, o.Signal);
            var first = !e.Signal.IsSet;
            e.Changed = e.Signal.Update(signal, o.Smoothing, o.ChangeThreshold) && !first;
            if (first)
            {
                e.PreviousSignal = e.Signal.Value;
            }

            // Capacity from CPU, which is close to linear in load (see the remarks on the type).
            var cpu = load.CpuUtilization;
            if (load.RequestsPerSecond > 0 && cpu >= MinCpuForEstimate)
            {
                var firstEstimate = !e.LogCapacity.IsSet;
                if (e.LogCapacity.Update(Math.Log(load.RequestsPerSecond / cpu), o.CapacitySmoothing, o.ChangeThreshold) && !firstEstimate)
                {
                    e.Settle = SettleTicks;
                }
            }
        }
    }

    private static double SignalOf(EndpointLoad load, SignalMode mode)
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

    private static bool IsControlled(EndpointControl e) =>
        e.Signal.IsSet && (e.Phase == EndpointPhase.Active || e.Phase == EndpointPhase.Warming);

    /// <summary>One PID step per controlled endpoint; sets <see cref="EndpointControl.Controlled"/>.</summary>
    private void Control(ControlOptions o)
    {
        // The reference group: ACTIVE endpoints, or while none is past warm-up, the warming ones.
        var referencePhase = EndpointPhase.Warming;
        foreach (var e in _ordered)
        {
            if (e.Phase == EndpointPhase.Active && e.Signal.IsSet)
            {
                referencePhase = EndpointPhase.Active;
                break;
            }
        }

        double signalSum = 0, logCapacitySum = 0, integralSum = 0;
        int n = 0, withCapacity = 0;
        foreach (var e in _ordered)
        {
            if (e.Phase == referencePhase && e.Signal.IsSet)
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

        Setpoint = n > 0 ? signalSum / n : double.NaN;
        if (n == 0 || !(Setpoint > 1e-9))
        {
            return;
        }

        var setpoint = Setpoint;
        var meanLogCapacity = withCapacity > 0 ? logCapacitySum / withCapacity : 0;
        var meanIntegral = integralSum / n;
        var integralBound = Math.Log(o.MaxWeightRatio / o.MinWeightRatio);

        foreach (var e in _ordered)
        {
            if (!IsControlled(e))
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

            var error = (setpoint - signal) / setpoint;
            if (Math.Abs(error) < o.Deadband)
            {
                // Inside the deadband the weight is left alone, against churn.
                e.Error = 0;
                e.Proportional = 0;
                e.Derivative = 0;
                continue;
            }

            e.Error = error;
            e.Proportional = o.Kp * error;
            e.Derivative = -o.Kd * (signal - e.PreviousSignal) / setpoint;
            e.FeedForward = e.LogCapacity.IsSet && o.CapacityFeedForward && withCapacity > 0
                ? e.LogCapacity.Value - meanLogCapacity
                : 0;

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
                e.Integral = Math.Clamp(e.Integral + (IntegralGain(o, e) * error), -integralBound, integralBound);
            }

            e.Raw = Math.Exp(Math.Clamp(e.FeedForward + e.Proportional + e.Integral + e.Derivative, -50, 50));
        }

        NormalizeControlled(o, referencePhase);
    }

    // A change the capacity estimate did not explain (it would have set Settle and skipped integration):
    // a stall piling up in-flight requests, or a change of background load. Answered at once.
    private static double IntegralGain(ControlOptions o, EndpointControl e) =>
        e.Changed ? Math.Max(o.Ki, o.ChangeGain) : o.Ki;

    /// <summary>Scales controlled weights so the reference group's mean is 1, within the bounds.</summary>
    private void NormalizeControlled(ControlOptions o, EndpointPhase referencePhase)
    {
        var scale = BoundedScale(o, e => e.Phase == referencePhase && IsControlled(e), static e => e.Raw);
        foreach (var e in _ordered)
        {
            if (!IsControlled(e))
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
    private double BoundedScale(ControlOptions o, Func<EndpointControl, bool> selected, Func<EndpointControl, double> value)
    {
        double scale = 1;
        for (var pass = 0; pass < 30; pass++)
        {
            double sum = 0;
            int n = 0, clamped = 0;
            foreach (var e in _ordered)
            {
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

    /// <summary>Turns controlled weights and lifecycle into integer weights with mean ≈ 1000.</summary>
    private void Publish(ControlOptions o, DateTimeOffset now)
    {
        foreach (var e in _ordered)
        {
            var previous = e.Relative;
            e.Relative = e.Phase switch
            {
                EndpointPhase.Draining => 0,
                EndpointPhase.Active => e.Signal.IsSet ? e.Controlled : o.WarmUpStartRatio,
                EndpointPhase.Stale => Ease(e.StaleFrom, o.StaleWeightRatio, now - e.PhaseSince, o.StaleDecay),
                _ => e.Signal.IsSet ? Ramp(e.Controlled, o.WarmUpStartRatio, now - e.WarmingSince, o.WarmUp) : o.WarmUpStartRatio,
            };

            if (e.Phase == EndpointPhase.Warming && e.Signal.IsSet && e.Signal.Value > Setpoint && e.Relative > 0)
            {
                // Slow start never pushes a node that already runs hotter than the service.
                e.Relative = Math.Min(e.Relative, previous);
            }
        }

        // The bounds hold against the mean of everything published, not only of the ACTIVE endpoints.
        var scale = BoundedScale(o, static e => e.Phase != EndpointPhase.Draining, static e => e.Relative);
        foreach (var e in _ordered)
        {
            e.Published = e.Phase == EndpointPhase.Draining
                ? 0
                : (uint)Math.Max(1, Math.Round(Math.Clamp(e.Relative * scale, o.MinWeightRatio, o.MaxWeightRatio) * MeanWeight));
        }
    }

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

    /// <summary>Too many endpoints stale: keep every weight as published, except that leavers drain.</summary>
    private void HoldWeights(ControlOptions o)
    {
        foreach (var e in _ordered)
        {
            if (e.Phase == EndpointPhase.Draining)
            {
                e.Published = 0;
            }
            else if (e.Published == 0)
            {
                e.Published = (uint)Math.Max(1, Math.Round(o.WarmUpStartRatio * MeanWeight));
            }
        }
    }

    private ServiceWeights Output()
    {
        _diagnostics.Clear();
        var endpoints = new WeightedEndpoint[_ordered.Count];
        for (var i = 0; i < endpoints.Length; i++)
        {
            var e = _ordered[i];
            var utilization = e.Signal.IsSet ? e.Signal.Value : 0;
            endpoints[i] = new WeightedEndpoint(e.Name, e.Zone, e.Published, e.Phase, utilization);
            _diagnostics.Add(new EndpointDiagnostics(
                e.Name, e.Phase, utilization, e.Error, e.Proportional, e.Integral, e.Derivative, e.FeedForward, e.Published));
        }

        return new ServiceWeights(Service, endpoints, Frozen);
    }
}
