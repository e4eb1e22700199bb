namespace Robinhood.Client.Resilience;

/// <summary>
/// Counts requests and retries of one service in one-second buckets over a sliding window (Finagle's and Linkerd's
/// retry budget): a retry is allowed while retries stay within a share of the requests plus a small floor.
/// </summary>
internal sealed class RetryBudget
{
    private readonly TimeProvider _time;
    private readonly double _ratio;
    private readonly double _floor;
    private readonly long[] _requests;
    private readonly long[] _retries;
    private readonly Lock _gate = new();
    private long _second;

    public RetryBudget(RetryOptions options, TimeProvider time)
    {
        _time = time;
        var seconds = Math.Max(1, (int)Math.Ceiling(options.BudgetWindow.TotalSeconds));
        _ratio = options.BudgetPercent / 100.0;
        _floor = options.MinRetriesPerSecond * (double)seconds;
        _requests = new long[seconds];
        _retries = new long[seconds];
        _second = Now();
    }

    /// <summary>Counts a first try; cheap enough for every request.</summary>
    public void RecordRequest() => Interlocked.Increment(ref _requests[Advance()]);

    /// <summary>Takes one retry from the budget; false when the budget is spent (the retry must not be sent).</summary>
    public bool TryRetry()
    {
        lock (_gate)
        {
            var bucket = Advance();
            long requests = 0;
            long retries = 0;
            for (var i = 0; i < _requests.Length; i++)
            {
                requests += Volatile.Read(ref _requests[i]);
                retries += _retries[i];
            }

            if (retries + 1 > (_ratio * requests) + _floor)
            {
                return false;
            }

            _retries[bucket]++;
            return true;
        }
    }

    private long Now() => _time.GetTimestamp() / _time.TimestampFrequency;

    private int Advance()
    {
        var now = Now();
        if (now != Volatile.Read(ref _second))
        {
            lock (_gate)
            {
                // Empty the buckets of the seconds that passed with no request (all of them after a long pause).
                var last = _second;
                for (var second = last + 1; second <= now && second <= last + _requests.Length; second++)
                {
                    var i = (int)(second % _requests.Length);
                    Volatile.Write(ref _requests[i], 0);
                    _retries[i] = 0;
                }

                if (now > last)
                {
                    Volatile.Write(ref _second, now);
                }
            }
        }

        return (int)(now % _requests.Length);
    }
}
