using Robinhood.Control;

namespace Robinhood.Controller.Control;

/// <summary>One validated, immutable reading of <c>Robinhood:Control</c>: the loop's timing and every service's gains.</summary>
public sealed record ControlSettings(
    TimeSpan Interval,
    TimeSpan StartupGrace,
    ControlOptions Defaults,
    IReadOnlyDictionary<string, ControlOptions> Services)
{
    public const string Section = "Robinhood:Control";

    /// <summary>The gains of one service: its own section over the defaults.</summary>
    public ControlOptions For(string service) => Services.TryGetValue(service, out var o) ? o : Defaults;
}
