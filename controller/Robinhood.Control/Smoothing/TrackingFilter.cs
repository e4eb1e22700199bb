namespace Robinhood.Control.Smoothing;

/// <summary>
/// A level tracker whose smoothing adapts to its input: it measures how much of the input's movement is
/// noise (which differences over one tick show twice, over two ticks also twice) and how much is drift
/// (which two-tick differences show twice as much as one-tick ones), and weighs each new sample with
/// the steady-state Kalman gain of a drifting level under that noise. Quiet, drifting inputs are followed
/// closely, noisy ones averaged hard; a jump beyond what both explain is followed at once.
/// </summary>
public struct TrackingFilter
{
    /// <summary>How quickly the noise and drift statistics follow the input (about 50 samples).</summary>
    private const double StatisticsAlpha = 0.02;

    /// <summary>Floor of the expected residual, so a noise-free input does not see every wobble as a change.</summary>
    private const double ResidualFloor = 0.005;

    /// <summary>The filtered value; meaningless until <see cref="IsSet"/>.</summary>
    public double Value { get; set; }

    /// <summary>The last sample and the one before it.</summary>
    public double Last { get; set; }

    public double BeforeLast { get; set; }

    /// <summary>Running means of the squared one-tick and two-tick differences of the input.</summary>
    public double Step1 { get; set; }

    public double Step2 { get; set; }

    /// <summary>Samples taken since the last reset (capped); 0 = not set.</summary>
    public int Samples { get; set; }

    /// <summary>The weight the last sample was given.</summary>
    public double Gain { get; set; }

    public readonly bool IsSet => Samples > 0;

    /// <summary>
    /// Feeds one sample; returns true when it was taken as a real change (the filter jumped). The gain is never
    /// below <paramref name="minGain"/>.
    /// </summary>
    public bool Update(double sample, double minGain, double changeThreshold)
    {
        if (Samples == 0)
        {
            Value = Last = BeforeLast = sample;
            Samples = 1;
            Gain = 1;
            return true;
        }

        var (drift, noise) = Statistics();
        var prior = PriorVariance(drift, noise);
        var residual = sample - Value;
        if (Samples > 2 && Math.Abs(residual) > changeThreshold * Math.Max(Math.Sqrt(prior + noise), ResidualFloor))
        {
            // A level shift: follow it now; the differences across it are not noise or drift.
            Value = Last = BeforeLast = sample;
            Gain = 1;
            return true;
        }

        var a = Math.Max(StatisticsAlpha, 1.0 / Samples);
        var d1 = sample - Last;
        var d2 = sample - BeforeLast;
        Step1 += a * ((d1 * d1) - Step1);
        if (Samples > 1)
        {
            Step2 += Math.Max(StatisticsAlpha, 1.0 / (Samples - 1)) * ((d2 * d2) - Step2);
        }

        (drift, noise) = Statistics();
        prior = PriorVariance(drift, noise);
        Gain = Samples < 3 || prior + noise <= 0 ? 1 : Math.Clamp(prior / (prior + noise), minGain, 1);
        Value += Gain * residual;
        BeforeLast = Last;
        Last = sample;
        Samples = Math.Min(Samples + 1, 1_000_000);
        return false;
    }

    /// <summary>Variance per tick of the level's drift and of the samples' noise, from the difference statistics.</summary>
    private readonly (double Drift, double Noise) Statistics()
    {
        var drift = Math.Max(0, Step2 - Step1);
        var noise = Math.Max(0, (Step1 - drift) / 2);
        return (drift, noise);
    }

    /// <summary>The steady-state variance of the level before a sample: the root of P² − qP − qr = 0.</summary>
    private static double PriorVariance(double drift, double noise) =>
        (drift + Math.Sqrt((drift * drift) + (4 * drift * noise))) / 2;
}
