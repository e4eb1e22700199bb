using Robinhood.Control.Smoothing;

namespace Robinhood.Control;

/// <summary>
/// The whole control state of one endpoint, written once: the loop's steps read and write it, persistence
/// stores a copy of every member (the controller host as protobuf; the record also round-trips through
/// System.Text.Json) and diagnostics read a copy of it. A copy (<c>with { }</c>)
/// is deep: every member is a value or an immutable string.
/// </summary>
public sealed record EndpointControlState
{
    /// <summary>The endpoint's "host:port"; its identity.</summary>
    public required string Endpoint { get; init; }

    public string Zone { get; set; } = "";

    // Lifecycle.
    public EndpointPhase Phase { get; set; } = EndpointPhase.Warming;

    /// <summary>Joined by its own reports rather than by membership (only those are removed when stale for long).</summary>
    public bool SelfRegistered { get; set; }

    /// <summary>Left membership: its reports no longer bring it back.</summary>
    public bool Left { get; set; }

    /// <summary>Whether it has ever reported.</summary>
    public bool Reported { get; set; }

    public DateTimeOffset PhaseSince { get; set; }

    public DateTimeOffset WarmingSince { get; set; }

    public DateTimeOffset LastReportAt { get; set; }

    // Weights.

    /// <summary>Unnormalized controlled weight, exp(feed-forward + PID), on the fleet's geometric scale.</summary>
    public double Raw { get; set; } = 1;

    /// <summary>Controlled weight relative to the mean of the reference group.</summary>
    public double Controlled { get; set; } = 1;

    /// <summary>Weight before integer scaling, lifecycle applied (ramp, stale easing).</summary>
    public double Relative { get; set; }

    /// <summary>The relative weight it had when it went STALE, eased from there.</summary>
    public double StaleFrom { get; set; }

    /// <summary>The controller's integer weight, before the rollout mode and overrides.</summary>
    public uint Computed { get; set; }

    /// <summary>Published integer weight: <see cref="Computed"/> after the rollout mode and overrides.</summary>
    public uint Published { get; set; }

    // Operator overrides.

    /// <summary>Drained by an operator: published DRAINING with weight 0, out of the loop until released.</summary>
    public bool Drained { get; set; }

    /// <summary>Weight pinned by an operator (mean-1000 scale), out of the loop until released.</summary>
    public uint? PinnedWeight { get; set; }

    // Controller memory, and the latest report not yet consumed by a tick.
    public double Integral { get; set; }

    public double PreviousSignal { get; set; }

    /// <summary>Filter over the utilization signal.</summary>
    public AdaptiveFilter Signal { get; set; }

    /// <summary>Filter over log(requests_per_second / CPU), the capacity estimate.</summary>
    public TrackingFilter LogCapacity { get; set; }

    /// <summary>The signal changed for real at the last tick (not noise).</summary>
    public bool Changed { get; set; }

    /// <summary>Ticks the PID still stays out after the capacity estimate jumped.</summary>
    public int Settle { get; set; }

    /// <summary>The latest report not yet consumed by a tick, if any.</summary>
    public EndpointLoad? Pending { get; set; }

    // Terms of the last control step (diagnostics).

    /// <summary>Relative error (setpoint − signal) / setpoint after the deadband.</summary>
    public double Error { get; set; }

    public double Proportional { get; set; }

    public double Derivative { get; set; }

    /// <summary>Log of the capacity estimate relative to the fleet (0 without one).</summary>
    public double FeedForward { get; set; }

    /// <summary>True once a signal has been taken in and the endpoint is under control (WARMING or ACTIVE).</summary>
    internal bool IsControlled => Signal.IsSet && Phase is (EndpointPhase.Active or EndpointPhase.Warming) && !IsOverridden;

    /// <summary>Drained or pinned by an operator: its weight is not the loop's.</summary>
    internal bool IsOverridden => Drained || PinnedWeight is not null;

    /// <summary>Back to a newly joined endpoint (a rejoin after leaving is a new endpoint).</summary>
    internal void ResetControl(DateTimeOffset now)
    {
        Phase = EndpointPhase.Warming;
        PhaseSince = now;
        Reported = false;
        Left = false;
        Raw = 1;
        Controlled = 1;
        Integral = 0;
        PreviousSignal = 0;
        Settle = 0;
        Signal = default;
        LogCapacity = default;
        Pending = null;
    }
}
