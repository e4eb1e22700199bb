namespace Robinhood.Control.Lifecycle;

/// <summary>
/// Where each endpoint is in its life: joining (WARMING, slow start), under control (ACTIVE), silent
/// (STALE, out of the setpoint), leaving (DRAINING, weight 0, then forgotten).
/// </summary>
internal static class EndpointLifecycle
{
    /// <summary>Takes in a report as the endpoint's pending load, unless the endpoint left membership.</summary>
    public static void Observe(EndpointControlState e, EndpointLoad load, DateTimeOffset now)
    {
        if (e.Left)
        {
            // Left membership: reports of a pod shutting down do not bring it back.
            return;
        }

        if (e.Phase == EndpointPhase.Draining)
        {
            // Removed for staleness and now reporting again: a new endpoint.
            e.ResetControl(now);
        }

        if (!e.Reported)
        {
            e.Reported = true;
            e.WarmingSince = now;
        }

        if (e.Phase == EndpointPhase.Stale)
        {
            Enter(e, EndpointPhase.Active, now);
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
        e.Pending = load with { Endpoint = e.Endpoint, Zone = e.Zone };
    }

    /// <summary>Membership lists the endpoint: a drained one comes back as new.</summary>
    public static void Join(EndpointControlState e, string zone, DateTimeOffset now)
    {
        if (e.Phase == EndpointPhase.Draining)
        {
            e.ResetControl(now);
        }

        e.SelfRegistered = false;
        if (!string.IsNullOrEmpty(zone))
        {
            e.Zone = zone;
        }
    }

    /// <summary>Membership no longer lists the endpoint: DRAINING with weight 0, then forgotten.</summary>
    public static void Leave(EndpointControlState e, DateTimeOffset now)
    {
        if (!e.Left)
        {
            e.Left = true;
            Enter(e, EndpointPhase.Draining, now);
            e.Pending = null;
        }
    }

    /// <summary>Back under control after an operator's override: WARMING from the start share, as a new endpoint.</summary>
    public static void Rejoin(EndpointControlState e, DateTimeOffset now)
    {
        var reported = e.Reported;
        e.ResetControl(now);
        e.Reported = reported;
        e.WarmingSince = now;
    }

    /// <summary>Moves every endpoint on by the clock; returns whether any drained endpoint is due to be forgotten.</summary>
    /// <param name="listeningSince">Silence counts from here at the earliest (when a restored state arrived).</param>
    public static bool Advance(ReadOnlySpan<EndpointControlState> endpoints, ControlOptions o, DateTimeOffset now, DateTimeOffset listeningSince)
    {
        var forget = false;
        for (var i = 0; i < endpoints.Length; i++)
        {
            var e = endpoints[i];
            if (e.Phase == EndpointPhase.Draining)
            {
                forget |= IsForgotten(e, o, now);
                continue;
            }

            if (!e.Reported)
            {
                continue;
            }

            var silent = now - (e.LastReportAt > listeningSince ? e.LastReportAt : listeningSince);
            if (e.SelfRegistered && silent >= o.RemoveAfter)
            {
                Enter(e, EndpointPhase.Draining, now);
                e.Pending = null;
            }
            else if (silent >= o.StaleAfter)
            {
                if (e.Phase != EndpointPhase.Stale)
                {
                    Enter(e, EndpointPhase.Stale, now);
                    e.StaleFrom = e.Relative;
                }
            }
            else if (e.Phase == EndpointPhase.Warming && now - e.WarmingSince >= o.WarmUp)
            {
                Enter(e, EndpointPhase.Active, now);
            }
        }

        return forget;
    }

    /// <summary>A drained endpoint past <see cref="ControlOptions.DrainFor"/>: removed from the service.</summary>
    public static bool IsForgotten(EndpointControlState e, ControlOptions o, DateTimeOffset now) =>
        e.Phase == EndpointPhase.Draining && now - e.PhaseSince >= o.DrainFor;

    private static void Enter(EndpointControlState e, EndpointPhase phase, DateTimeOffset now)
    {
        e.Phase = phase;
        e.PhaseSince = now;
    }
}
