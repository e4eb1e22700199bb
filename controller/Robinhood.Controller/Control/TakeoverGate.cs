using System.Collections.Concurrent;
using Robinhood.Controller.Leadership;

namespace Robinhood.Controller.Control;

/// <summary>
/// Whether this replica controls a service now: it owns the service's shard, and has not just taken it, so it
/// does not act on a partial picture. Nothing of a shard is controlled (no integration, no publication) until
/// <c>StartupGrace</c> has passed since this replica took it; then a service is controlled once the reports
/// heard since then cover it as the freeze rule asks: of its members that reported before, no more than
/// <c>FreezeStaleRatio</c> are still silent. Past <c>StaleAfter</c> since the take the service's own stale rule
/// sees the same silence, so it opens then.
/// </summary>
public sealed partial class TakeoverGate(ShardMap map, Fleet fleet, ControlSettingsSource settings, ILogger<TakeoverGate> logger) : IShardWork
{
    private readonly ConcurrentDictionary<int, DateTimeOffset> _leads = new();
    // The take a service was opened (or held) under: a new take of its shard judges it afresh.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _open = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _held = new(StringComparer.Ordinal);

    /// <summary>Whether this replica owns any shard (else no service is controlled).</summary>
    public bool Leading => !_leads.IsEmpty;

    public void Start(OwnedShard shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        _leads[shard.Shard] = shard.Since;
    }

    public void Stop(int shard)
    {
        _leads.TryRemove(shard, out _);
        foreach (var service in _open.Keys.Concat(_held.Keys).Where(s => map.Of(s) == shard).ToList())
        {
            _open.TryRemove(service, out _);
            _held.TryRemove(service, out _);
        }
    }

    /// <summary>Whether the service may be controlled at <paramref name="now"/>.</summary>
    public bool Controls(string service, DateTimeOffset now)
    {
        if (!_leads.TryGetValue(map.Of(service), out var lead) || now - lead < settings.Current.StartupGrace)
        {
            return false;
        }

        if (_open.TryGetValue(service, out var opened) && opened == lead)
        {
            return true;
        }

        var options = settings.Current.For(service);
        var silent = 0;
        var members = 0;
        if (now - lead < options.StaleAfter && fleet.Capture(service) is { } state)
        {
            foreach (var e in state.Endpoints)
            {
                if (e.Phase == Robinhood.Control.EndpointPhase.Draining)
                {
                    continue;
                }

                members++;
                silent += e.Reported && e.LastReportAt < lead ? 1 : 0;
            }
        }

        if (silent > options.FreezeStaleRatio * members)
        {
            if (!_held.TryGetValue(service, out var held) || held != lead)
            {
                _held[service] = lead;
                LogHeld(service, silent, members);
            }

            return false;
        }

        _open[service] = lead;
        return true;
    }

    /// <summary>A forgotten service is judged afresh if it comes back.</summary>
    public void Forget(string service)
    {
        _open.TryRemove(service, out _);
        _held.TryRemove(service, out _);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "New owner holds {Service}: {Silent} of its {Members} members have not reported since it took the shard")]
    private partial void LogHeld(string service, int silent, int members);
}
