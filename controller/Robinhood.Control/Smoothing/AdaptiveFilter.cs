namespace Robinhood.Control.Smoothing;

/// <summary>
/// An exponentially weighted moving average that is slow while the input only wobbles and
/// jumps to the input once it moves further than its recent noise explains: noise is
/// suppressed in steady state, a real change (a node losing capacity) is seen at once.
/// </summary>
public struct AdaptiveFilter
{
    /// <summary>Floor of the noise estimate relative to the level, so a noise-free input does not see every wobble as a change.</summary>
    private const double RelativeNoiseFloor = 0.005;

    /// <summary>How quickly the noise estimate follows the residuals.</summary>
    private const double NoiseAlpha = 0.1;

    /// <summary>The filtered value; meaningless until <see cref="IsSet"/>.</summary>
    public double Value { get; set; }

    /// <summary>EWMA of squared residuals (sample − value) seen as noise.</summary>
    public double Variance { get; set; }

    /// <summary>True once the filter has seen a sample.</summary>
    public bool IsSet { get; set; }

    /// <summary>Feeds one sample; returns true when it was taken as a real change (the filter jumped).</summary>
    public bool Update(double sample, double alpha, double changeThreshold)
    {
        if (!IsSet)
        {
            Value = sample;
            Variance = 0;
            IsSet = true;
            return true;
        }

        var residual = sample - Value;
        var noise = Math.Max(Math.Sqrt(Variance), RelativeNoiseFloor * Math.Abs(Value));
        if (Math.Abs(residual) > changeThreshold * noise)
        {
            // A level shift: follow it now and keep the noise estimate as it was.
            Value = sample;
            return true;
        }

        Value += alpha * residual;
        Variance += NoiseAlpha * ((residual * residual) - Variance);
        return false;
    }

    /// <summary>Forgets everything; the next sample starts the filter afresh.</summary>
    public void Reset() => this = default;
}
