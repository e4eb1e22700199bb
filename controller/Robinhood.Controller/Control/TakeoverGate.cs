using System.Collections.Concurrent;
using Robinhood.Controller.Leadership;

namespace Robinhood.Controller.Control;

/// <summary>
/// Keeps a replica that has just taken the lead from acting on a partial picture. Nothing is controlled
/// (no integration, no publication) until <c>StartupGrace</c> has passed since it took the lead; then a
/// service is controlled once the reports heard since then cover it as the freeze rule asks: of its
/// members that reported before, no more than <c>FreezeStaleRatio</c> are still silent. Past
/// <c>StaleAfter</c> since the lead the service's own stale rule sees the same silence, so it opens then.
/// </summary>
public sealed partial class TakeoverGate(LeaderRole role, Fleet fleet, ControlSettingsSource settings, ILogger<TakeoverGate> logger)
{
    private readonly ConcurrentDictionary<string, byte> _open = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _held = new(StringComparer.Ordinal);
    private DateTimeOffset _lead;

    /// <summary>Whether the leader is past its grace at <paramref name="now"/>; false while following.</summary>
    public bool PastGrace(DateTimeOffset now)
    {
        if (role.LeadingSince is not { } since)
        {
            return false;
        }

        if (since != _lead)
        {
            // A new lead: every service is judged afresh. Only the loop's thread gets here.
            _lead = since;
            _open.Clear();
            _held.Clear();
        }

        return now - since >= settings.Current.StartupGrace;
    }

    /// <summary>Whether a service may be controlled now; call only after <see cref="PastGrace"/> was true in this tick.</summary>
    public bool Opens(string service, DateTimeOffset now)
    {
        if (_open.ContainsKey(service))
        {
            return true;
        }

        var options = settings.Current.For(service);
        var silent = 0;
        var members = 0;
        if (now - _lead < options.StaleAfter && fleet.Capture(service) is { } state)
        {
            foreach (var e in state.Endpoints)
            {
                if (e.Phase == Robinhood.Control.EndpointPhase.Draining)
                {
                    continue;
                }

                members++;
                silent += e.Reported && e.LastReportAt < _lead ? 1 : 0;
            }
        }

        if (silent > options.FreezeStaleRatio * members)
        {
            if (_held.TryAdd(service, 0))
            {
                LogHeld(service, silent, members);
            }

            return false;
        }

        _open.TryAdd(service, 0);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "New leader holds {Service}: {Silent} of its {Members} members have not reported since it took the lead")]
    private partial void LogHeld(string service, int silent, int members);
}
