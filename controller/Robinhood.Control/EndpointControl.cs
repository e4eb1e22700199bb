using Robinhood.Control.Persistence;
using Robinhood.Control.Smoothing;

namespace Robinhood.Control;

/// <summary>Mutable control state of one endpoint; owned by its <see cref="ServiceController"/>.</summary>
internal sealed class EndpointControl(string name)
{
    public string Name { get; } = name;

    // Lifecycle.
    public string Zone = "";
    public EndpointPhase Phase = EndpointPhase.Warming;
    public bool SelfRegistered, Left, Reported;
    public DateTimeOffset PhaseSince, WarmingSince, LastReportAt;

    // Weights: Raw = exp(feed-forward + PID) on the fleet's geometric scale; Controlled and
    // Relative (published, before integer scaling) are relative to the mean ACTIVE weight.
    public double Raw = 1, Controlled = 1, Relative, StaleFrom;
    public uint Published;

    // Controller memory, and the latest report not yet consumed by a tick.
    public double Integral, PreviousSignal;
    public AdaptiveFilter Signal, LogCapacity;
    public bool Changed;
    public int Settle;
    public EndpointLoad? Pending;

    // Terms of the last step, for diagnostics.
    public double Error, Proportional, Derivative, FeedForward;

    /// <summary>Back to a newly joined endpoint (a rejoin after leaving is a new endpoint).</summary>
    public void ResetControl()
    {
        Phase = EndpointPhase.Warming;
        Reported = false;
        Left = false;
        Raw = 1;
        Controlled = 1;
        Integral = 0;
        PreviousSignal = 0;
        Settle = 0;
        Signal.Reset();
        LogCapacity.Reset();
        Pending = null;
    }

    public EndpointControlState Capture() => new(
        Name, Zone, Phase, SelfRegistered, Left, Reported, PhaseSince, WarmingSince, LastReportAt,
        Raw, Controlled, Relative, StaleFrom, Published, Integral, PreviousSignal, Capture(Signal), Capture(LogCapacity), Settle, Pending);

    public static EndpointControl Restore(EndpointControlState s) => new(s.Endpoint)
    {
        Zone = s.Zone, Phase = s.Phase, SelfRegistered = s.SelfRegistered, Left = s.Left, Reported = s.Reported,
        PhaseSince = s.PhaseSince, WarmingSince = s.WarmingSince, LastReportAt = s.LastReportAt,
        Raw = s.Raw, Controlled = s.Controlled, Relative = s.Relative, StaleFrom = s.StaleFrom, Published = s.Published,
        Integral = s.Integral, PreviousSignal = s.PreviousSignal, Signal = Restore(s.Signal), LogCapacity = Restore(s.LogCapacity), Settle = s.Settle,
        Pending = s.Pending,
    };

    private static FilterState Capture(AdaptiveFilter f) => new(f.Value, f.Variance, f.IsSet);

    private static AdaptiveFilter Restore(FilterState f) => new() { Value = f.Value, Variance = f.Variance, IsSet = f.IsSet };
}
