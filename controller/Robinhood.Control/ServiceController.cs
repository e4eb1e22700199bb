using System.Runtime.InteropServices;
using Robinhood.Control.Lifecycle;
using Robinhood.Control.Normalization;
using Robinhood.Control.Persistence;
using Robinhood.Control.Pid;
using Robinhood.Control.Publication;
using Robinhood.Control.Rollout;
using Robinhood.Control.Signal;

namespace Robinhood.Control;

/// <summary>
/// The control loop of one service: keeps the latest load of every endpoint and, each tick,
/// moves every endpoint's weight so its utilization approaches the service average.
/// Not thread-safe: the host serializes Observe/Join/Leave/Tick per service.
/// </summary>
/// <remarks>
/// A tick is a sequence of named steps over the endpoints' <see cref="EndpointControlState"/>:
/// lifecycle (<see cref="EndpointLifecycle"/>), signal (<see cref="SignalStep"/>), PID (<see cref="PidStep"/>),
/// normalization (<see cref="WeightNormalization"/>) and publication (<see cref="WeightPublication"/>).
/// Weight of an endpoint = exp(feed-forward + P + I + D), where the feed-forward is the log of
/// its capacity estimate (requests_per_second / CPU, as gRFC A58) relative to the fleet and
/// the PID works on the relative error (setpoint − signal) / setpoint. The estimate lands near
/// balance in one step; the PID removes what it gets wrong (background load, a stalled node whose
/// CPU falls while its in-flight requests pile up). Without requests_per_second the PID alone controls.
/// The estimate uses CPU, never the in-flight part of the signal: near saturation in-flight grows
/// like 1/(1 − ρ), so qps / in-flight collapses by several times for a few % more load and the
/// feed-forward then drives a limit cycle; in-flight acts through the PID only, where the gains bound it.
/// The steps index their list (no enumerator object per loop) and the host's tick writes the output into a
/// reused array (<see cref="TickReusingOutput"/>): a tick allocates nothing per endpoint.
/// </remarks>
public sealed class ServiceController
{
    /// <summary>Mean published weight over weighted endpoints (0.1% resolution).</summary>
    public const double MeanWeight = WeightPublication.MeanWeight;

    private readonly TimeProvider _time;
    private readonly Dictionary<string, EndpointControlState> _byName = new(StringComparer.Ordinal);
    private readonly List<EndpointControlState> _ordered = [];
    private WeightedEndpoint[] _output = [];
    private bool _orderDirty;
    // An endpoint's silence counts from the restore at the earliest: no one could hear it while the state changed hands.
    private DateTimeOffset _listeningSince = DateTimeOffset.MinValue;

    public ServiceController(string service, ControlOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        Service = service;
        Options = options;
        _time = time;
        LastReportAt = time.GetUtcNow();
    }

    public string Service { get; }

    /// <summary>Live gains; a new value takes effect at the next tick. Must already be valid.</summary>
    public ControlOptions Options { get; set; }

    /// <summary>The setpoint (mean signal of ACTIVE endpoints) of the last tick; NaN before any.</summary>
    public double Setpoint { get; private set; } = double.NaN;

    /// <summary>Whether the last tick held the weights because too many endpoints were stale.</summary>
    public bool Frozen { get; private set; }

    /// <summary>How much of the computed weights is published; an operator's choice, kept with the state.</summary>
    public ServiceRollout Rollout { get; private set; } = ServiceRollout.Active;

    /// <summary>Number of endpoints known, draining ones included.</summary>
    public int Count => _byName.Count;

    /// <summary>When an endpoint last reported into the service (or it was made or restored, before any report).</summary>
    public DateTimeOffset LastReportAt { get; private set; }

    /// <summary>Whether membership lists any of its endpoints (a discovered service stays while it has members).</summary>
    public bool HasMembers => _ordered.Exists(static e => !e.SelfRegistered && !e.Left);

    /// <summary>Whether the service holds <paramref name="endpoint"/>.</summary>
    public bool Has(string endpoint) => _byName.ContainsKey(endpoint);

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

        EndpointLifecycle.Observe(e, load, now);
        LastReportAt = now;
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

        EndpointLifecycle.Join(e, zone, now);
    }

    /// <summary>An endpoint that left membership: DRAINING with weight 0, then forgotten.</summary>
    public void Leave(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (_byName.TryGetValue(endpoint, out var e))
        {
            EndpointLifecycle.Leave(e, _time.GetUtcNow());
        }
    }

    /// <summary>One control step at the current time of the injected clock; the weights in a new array.</summary>
    public ServiceWeights Tick()
    {
        Step();
        return WeightPublication.Output(Service, CollectionsMarshal.AsSpan(_ordered), Frozen, Rollout, new WeightedEndpoint[_ordered.Count]);
    }

    /// <summary>
    /// The same control step, its weights written into this controller's own array (reallocated only when the
    /// number of endpoints changes), so a tick allocates no per-endpoint output. The array is rewritten by the
    /// next <see cref="TickReusingOutput"/>: a caller that keeps the weights longer copies them
    /// (<see cref="ServiceWeights.CopyTo"/>).
    /// </summary>
    public ServiceWeights TickReusingOutput()
    {
        Step();
        if (_output.Length != _ordered.Count)
        {
            _output = new WeightedEndpoint[_ordered.Count];
        }

        return WeightPublication.Output(Service, CollectionsMarshal.AsSpan(_ordered), Frozen, Rollout, _output);
    }

    private void Step()
    {
        var o = Options;
        var now = _time.GetUtcNow();
        if (EndpointLifecycle.Advance(CollectionsMarshal.AsSpan(_ordered), o, now, _listeningSince))
        {
            RemoveForgotten(o, now);
        }

        if (_orderDirty)
        {
            _ordered.Sort(static (a, b) => string.CompareOrdinal(a.Endpoint, b.Endpoint));
            _orderDirty = false;
        }

        // The steps walk the list as a span: no interface call per endpoint. The list is not changed until the next tick.
        var endpoints = CollectionsMarshal.AsSpan(_ordered);
        SignalStep.Consume(endpoints, o);
        Frozen = TooManyStale(endpoints, o);
        if (Frozen)
        {
            WeightPublication.Hold(endpoints, o);
        }
        else
        {
            var reference = PidStep.ReferencePhase(endpoints);
            Setpoint = PidStep.Step(endpoints, o, reference);
            if (Setpoint > 1e-9)
            {
                WeightNormalization.NormalizeControlled(endpoints, o, reference);
            }

            WeightPublication.Publish(endpoints, o, Setpoint, now);
        }

        RolloutStep.Apply(endpoints, Rollout);
    }

    /// <summary>Drained endpoints past their time leave (a method of its own, so a tick that forgets none makes no closure).</summary>
    private void RemoveForgotten(ControlOptions o, DateTimeOffset now) =>
        _ordered.RemoveAll(e => EndpointLifecycle.IsForgotten(e, o, now) && _byName.Remove(e.Endpoint));

    /// <summary>
    /// A copy of the whole control state, in endpoint order: what persistence stores and diagnostics
    /// (the terms of the last step, the capacity estimate) read.
    /// </summary>
    public ServiceControllerState Capture()
    {
        var endpoints = new EndpointControlState[_ordered.Count];
        for (var i = 0; i < endpoints.Length; i++)
        {
            endpoints[i] = _ordered[i] with { };
        }

        return new ServiceControllerState { Service = Service, Frozen = Frozen, Rollout = Rollout, Endpoints = endpoints };
    }

    /// <summary>
    /// Replaces the whole control state with a captured one; the next tick continues from it. Endpoints go STALE (or
    /// are removed) for silence counted from now at the earliest: the time the state took to change hands (a takeover, a
    /// restart) is not the endpoints' silence, and counting it would mark the ones not yet heard STALE at the first tick.
    /// </summary>
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
            var e = s with { };
            if (_byName.TryAdd(e.Endpoint, e))
            {
                _ordered.Add(e);
            }
        }

        Frozen = state.Frozen;
        Rollout = state.Rollout;
        _orderDirty = true;
        LastReportAt = _listeningSince = _time.GetUtcNow();
    }

    /// <summary>Sets the rollout mode; it takes effect at the next tick. Must already be valid.</summary>
    public void SetRollout(ServiceRollout rollout)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        Rollout = rollout;
    }

    /// <summary>An operator drains an endpoint: DRAINING with weight 0 from the next tick, until released. False when unknown.</summary>
    public bool Drain(string endpoint) => Override(endpoint, static e => (e.Drained, e.PinnedWeight) = (true, null));

    /// <summary>An operator pins an endpoint's weight (mean-1000 scale) from the next tick, until released. False when unknown.</summary>
    public bool Pin(string endpoint, uint weight) => Override(endpoint, e => (e.Drained, e.PinnedWeight) = (false, weight));

    /// <summary>
    /// Ends an operator's override: the endpoint rejoins the loop as a new one (slow start from the start share,
    /// never a jump back to a weight computed before). False when unknown.
    /// </summary>
    public bool Release(string endpoint) => Override(endpoint, e =>
    {
        if (e.IsOverridden)
        {
            (e.Drained, e.PinnedWeight) = (false, null);
            EndpointLifecycle.Rejoin(e, _time.GetUtcNow());
        }
    });

    private bool Override(string endpoint, Action<EndpointControlState> change)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!_byName.TryGetValue(endpoint, out var e) || e.Left)
        {
            return false;
        }

        change(e);
        return true;
    }

    private EndpointControlState Add(string name, DateTimeOffset now)
    {
        var e = new EndpointControlState { Endpoint = name, PhaseSince = now };
        _byName.Add(name, e);
        _ordered.Add(e);
        _orderDirty = true;
        return e;
    }

    /// <summary>More than <see cref="ControlOptions.FreezeStaleRatio"/> of the members stale: act on no partial picture.</summary>
    private static bool TooManyStale(ReadOnlySpan<EndpointControlState> endpoints, ControlOptions o)
    {
        int members = 0, stale = 0;
        foreach (var e in endpoints)
        {
            members += e.Phase == EndpointPhase.Draining ? 0 : 1;
            stale += e.Phase == EndpointPhase.Stale ? 1 : 0;
        }

        return members > 0 && stale > o.FreezeStaleRatio * members;
    }
}
