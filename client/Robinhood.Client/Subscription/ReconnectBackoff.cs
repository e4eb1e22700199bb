namespace Robinhood.Client.Subscription;

/// <summary>Exponential reconnect delays with ±20% jitter, so clients that lost the controller together do not return together.</summary>
internal sealed class ReconnectBackoff
{
    private const double Multiplier = 1.6;
    private const double Jitter = 0.2;

    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly Random _random;
    private TimeSpan _next;

    public ReconnectBackoff(TimeSpan initial, TimeSpan max, Random random)
    {
        _initial = initial;
        _max = max;
        _random = random;
        _next = initial;
    }

    /// <summary>The delay before the next attempt; each call lengthens the one after, up to the maximum.</summary>
    public TimeSpan Next()
    {
        var current = _next;
        _next = TimeSpan.FromTicks(Math.Min(_max.Ticks, (long)(current.Ticks * Multiplier)));
        double spread;
        lock (_random)
        {
            spread = _random.NextDouble();
        }

        return current * (1 + (Jitter * ((2 * spread) - 1)));
    }

    /// <summary>Back to the first delay, after a connection that worked.</summary>
    public void Reset() => _next = _initial;
}
