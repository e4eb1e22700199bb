using System.Globalization;
using Robinhood.Control;
using Robinhood.Control.Rollout;

namespace Robinhood.Controller.Dashboard;

/// <summary>What the dashboard marks on a service's history.</summary>
public enum ServiceEventKind
{
    /// <summary>An endpoint joined the service.</summary>
    Join,

    /// <summary>An endpoint went STALE (its reports stopped).</summary>
    Stale,

    /// <summary>An ACTIVE endpoint's weight moved by more than <see cref="FleetView.StepChange"/> in one tick: the loop answering a change.</summary>
    Step,

    /// <summary>An operator drained, pinned or released an endpoint, or changed the service's rollout mode.</summary>
    Override,
}

/// <summary>One thing that happened to a service, at the tick that showed it.</summary>
/// <param name="At">Unix milliseconds of the tick (the history's time axis).</param>
/// <param name="Endpoint">The endpoint it happened to; empty for the service's rollout mode.</param>
public sealed record ServiceEvent(long At, ServiceEventKind Kind, string Endpoint, string Detail);

/// <summary>The events between two consecutive ticks of a service: a diff of what each tick published.</summary>
public static class ServiceEvents
{
    /// <summary>
    /// Hands each event between <paramref name="previous"/> and <paramref name="current"/> to <paramref name="add"/>.
    /// Both list their endpoints ordered by name (<see cref="ServiceWeights"/>), so one walk over the two pairs
    /// them up without an index; a tick without events allocates nothing.
    /// </summary>
    public static void Between(ServiceWeights previous, ServiceWeights current, long at, Action<ServiceEvent> add)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(add);
        if (previous.Rollout != current.Rollout)
        {
            add(new ServiceEvent(at, ServiceEventKind.Override, "", $"mode {Mode(previous.Rollout)} → {Mode(current.Rollout)}"));
        }

        var before = previous.Endpoints;
        var j = 0;
        for (var i = 0; i < current.Endpoints.Count; i++)
        {
            var e = current.Endpoints[i];
            // Endpoints that left sort before this one.
            while (j < before.Count && string.CompareOrdinal(before[j].Endpoint, e.Endpoint) < 0)
            {
                j++;
            }

            if (j == before.Count || before[j].Endpoint != e.Endpoint)
            {
                add(new ServiceEvent(at, ServiceEventKind.Join, e.Endpoint, "joined"));
                continue;
            }

            Changed(before[j++], e, at, add);
        }
    }

    /// <summary>The events of one endpoint in both ticks.</summary>
    private static void Changed(WeightedEndpoint p, WeightedEndpoint e, long at, Action<ServiceEvent> add)
    {
        if (e.Phase == EndpointPhase.Stale && p.Phase != EndpointPhase.Stale)
        {
            add(new ServiceEvent(at, ServiceEventKind.Stale, e.Endpoint, "no reports: STALE"));
        }

        if ((e.Drained, e.Pinned) != (p.Drained, p.Pinned))
        {
            add(new ServiceEvent(at, ServiceEventKind.Override, e.Endpoint,
                e.Drained ? "drained" : e.Pinned is { } w ? $"pinned {w}" : "released"));
        }

        // The loop's own weight (the published one where it is not known, on a follower).
        var from = p.Computed > 0 ? p.Computed : p.Weight;
        var to = e.Computed > 0 ? e.Computed : e.Weight;
        if (p.Phase == EndpointPhase.Active && e.Phase == EndpointPhase.Active && from > 0
            && Math.Abs((double)to - from) / from > FleetView.StepChange)
        {
            add(new ServiceEvent(at, ServiceEventKind.Step, e.Endpoint, $"weight {from} → {to}"));
        }
    }

    private static string Mode(ServiceRollout r) =>
        r.Mode == RolloutMode.Blend ? $"Blend {(100 * r.Fraction).ToString("0", CultureInfo.InvariantCulture)}%" : r.Mode.ToString();
}
