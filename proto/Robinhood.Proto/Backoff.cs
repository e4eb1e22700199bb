namespace Robinhood.V1;

/// <summary>
/// Delays between retries after consecutive failures, one rule for every retry loop of the project: exponential
/// (doubling from the initial delay up to the cap) with "equal jitter", a uniformly random point in the upper half of
/// the step, so a fleet that lost the controller together does not return in lockstep.
/// </summary>
public sealed class Backoff(TimeSpan initial, TimeSpan max, Random random)
{
    private int _failures;

    /// <summary>The delay before the next attempt, in [step/2, step] where step = min(max, initial·2^failures).</summary>
    public TimeSpan Next()
    {
        var step = Math.Min(initial.TotalSeconds * Math.Pow(2, Math.Min(_failures, 32)), max.TotalSeconds);
        _failures++;
        double draw;
        lock (random)
        {
            // The Random is often the host's shared one, which is not thread-safe.
            draw = random.NextDouble();
        }

        return TimeSpan.FromSeconds(step * (0.5 + (0.5 * draw)));
    }

    /// <summary>After an attempt that worked the next failure starts again from the initial delay.</summary>
    public void Reset() => _failures = 0;
}
