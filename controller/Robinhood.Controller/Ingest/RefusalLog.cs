using Robinhood.V1;

namespace Robinhood.Controller.Ingest;

/// <summary>
/// Which of one Report stream's refusals get a log line: the first of each reason per interval; the rest are
/// counted and the count said with that reason's next line, or when the stream ends. A flood of bad reports
/// costs at most a line per reason per interval (the metric still counts every refusal). One stream's, not shared.
/// </summary>
internal sealed class RefusalLog(TimeProvider time, TimeSpan interval)
{
    private readonly Dictionary<RefusalReason, (DateTimeOffset Until, long Unlogged)> _reasons = [];

    /// <summary>True when this refusal is to be logged; <paramref name="unlogged"/> is then how many of its reason were not since the last line.</summary>
    public bool Take(RefusalReason reason, out long unlogged)
    {
        var now = time.GetUtcNow();
        if (_reasons.TryGetValue(reason, out var last) && now < last.Until)
        {
            _reasons[reason] = last with { Unlogged = last.Unlogged + 1 };
            unlogged = 0;
            return false;
        }

        _reasons[reason] = (now + interval, 0);
        unlogged = last.Unlogged;
        return true;
    }

    /// <summary>The reasons with refusals not logged yet, and how many, for the stream's last line.</summary>
    public IEnumerable<(RefusalReason Reason, long Unlogged)> Unlogged() =>
        _reasons.Where(p => p.Value.Unlogged > 0).Select(p => (p.Key, p.Value.Unlogged));
}
