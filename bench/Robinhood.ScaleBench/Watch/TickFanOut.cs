namespace Robinhood.ScaleBench.Watch;

/// <summary>
/// One tick's publication as the watchers saw it: from the first snapshot's <c>computed_at</c> (stamped
/// when the tick published its first service) to the moment the last watcher received its snapshot.
/// </summary>
public sealed record TickFanOut(DateTimeOffset FirstComputedAt, double ToLastWatcherMs, int WatchersReached, int Snapshots)
{
    /// <summary>
    /// Groups deliveries into ticks: snapshots of one tick are computed within the tick's duration, and
    /// ticks are an interval apart, so a gap of half an interval in <c>computed_at</c> separates them.
    /// </summary>
    public static IReadOnlyList<TickFanOut> Group(IEnumerable<Delivery> deliveries, TimeSpan interval)
    {
        var ticks = new List<TickFanOut>();
        var current = new List<Delivery>();
        foreach (var d in deliveries.OrderBy(d => d.ComputedAt))
        {
            if (current.Count > 0 && d.ComputedAt - current[^1].ComputedAt > interval / 2)
            {
                ticks.Add(Of(current));
                current.Clear();
            }

            current.Add(d);
        }

        if (current.Count > 0)
        {
            ticks.Add(Of(current));
        }

        return ticks;
    }

    private static TickFanOut Of(List<Delivery> tick)
    {
        var first = tick.Min(d => d.ComputedAt);
        var last = tick.Max(d => d.ReceivedAt);
        return new TickFanOut(first, (last - first).TotalMilliseconds, tick.Select(d => d.Watcher).Distinct().Count(), tick.Count);
    }
}
