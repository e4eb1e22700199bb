namespace Robinhood.Controller.Hosting;

/// <summary>How long to wait before retrying after consecutive failures: one rule for every retry loop of the host.</summary>
public static class RetryBackoff
{
    /// <summary>Exponential from 1 s up to <paramref name="max"/>, with full jitter over its upper half.</summary>
    public static TimeSpan After(int failures, TimeSpan max, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var ceiling = Math.Min(max.TotalSeconds, Math.Pow(2, Math.Clamp(failures - 1, 0, 16)));
        return TimeSpan.FromSeconds(ceiling * (0.5 + (0.5 * random.NextDouble())));
    }
}
