namespace Robinhood.Agent.Measurement;

/// <summary>Per-second rate of a cumulative counter between successive readings, timed by the injected clock.</summary>
public sealed class CounterRate(TimeProvider time)
{
    private long _lastTimestamp;
    private double _lastValue;
    private bool _hasReading;

    /// <summary>Records a reading; returns the rate since the previous one, or null when there is none to compare
    /// with (first reading, a counter that went backwards, no time elapsed).</summary>
    public double? Update(double cumulative)
    {
        var now = time.GetTimestamp();
        double? rate = null;
        if (_hasReading && cumulative >= _lastValue)
        {
            var elapsed = time.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
            if (elapsed <= 0)
            {
                return null;
            }

            rate = (cumulative - _lastValue) / elapsed;
        }

        _lastTimestamp = now;
        _lastValue = cumulative;
        _hasReading = true;
        return rate;
    }
}
