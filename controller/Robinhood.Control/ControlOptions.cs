namespace Robinhood.Control;

/// <summary>Utilization signal an endpoint is controlled on.</summary>
public enum SignalMode
{
    /// <summary>max(cpu, in_flight / max_in_flight): a node stalled on I/O shows low CPU but piling requests.</summary>
    Max,

    /// <summary>CPU utilization only.</summary>
    Cpu,

    /// <summary>in_flight / max_in_flight only (CPU where max_in_flight is unknown).</summary>
    InFlight,
}

/// <summary>
/// Gains and thresholds of one service's control loop. Bound from configuration
/// (<c>Robinhood:Control</c>, per service under <c>Robinhood:Control:Services:&lt;name&gt;</c>);
/// <see cref="Validate"/> names the key and the rule of every bad value.
/// </summary>
public sealed class ControlOptions
{
    /// <summary>Largest stable Kp + Ki together (Kp 0.6 with Ki 0.7 oscillates on the ramp).</summary>
    private const double MaxKpPlusKi = 0.8;

    /// <summary>
    /// The range of every numeric option, in one place (values.schema.json of the chart is checked against it).
    /// The gains' upper bounds are stability bounds measured in the simulator (bench/README.md): beyond them
    /// the loop, which sees every change a tick late, overcorrects into a sustained oscillation (Kp 0.8 makes
    /// the diurnal ramp oscillate, Kp 1 every scenario; Kd 0.3 on the unsmoothed signal already oscillates).
    /// </summary>
    public static IReadOnlyList<OptionBound> Bounds { get; } =
    [
        new(nameof(Kp), static o => o.Kp, 0, false, 0.6, false),
        new(nameof(Ki), static o => o.Ki, 0, false, 0.7, false),
        new(nameof(Kd), static o => o.Kd, 0, false, 0.2, false),
        new(nameof(Deadband), static o => o.Deadband, 0, false, 0.5, true),
        new(nameof(MinWeightRatio), static o => o.MinWeightRatio, 0, true, 1, false),
        new(nameof(MaxWeightRatio), static o => o.MaxWeightRatio, 1, false, 100, false),
        new(nameof(WarmUpStartRatio), static o => o.WarmUpStartRatio, 0, true, 1, false),
        new(nameof(StaleWeightRatio), static o => o.StaleWeightRatio, 0, false, 1, false),
        new(nameof(FreezeStaleRatio), static o => o.FreezeStaleRatio, 0, true, 1, false),
        new(nameof(Smoothing), static o => o.Smoothing, 0, true, 1, false),
        new(nameof(CapacitySmoothing), static o => o.CapacitySmoothing, 0, true, 1, false),
        new(nameof(ChangeThreshold), static o => o.ChangeThreshold, 1, false, 100, false),
        new(nameof(ChangeGain), static o => o.ChangeGain, 0, false, 2, false),
        new(nameof(NoiseBand), static o => o.NoiseBand, 0, false, 10, false),
    ];

    /// <summary>Which utilization signal the loop balances.</summary>
    public SignalMode Signal { get; set; } = SignalMode.Max;

    /// <summary>
    /// Proportional gain on the relative error (setpoint − signal) / setpoint, in log-weight per tick.
    /// Reports arrive a tick late, so the loop overcorrects and oscillates as Kp nears 1 (bench/README.md).
    /// </summary>
    public double Kp { get; set; } = 0.15;

    /// <summary>
    /// Integral gain, in log-weight per tick per unit of relative error. It follows the slow drift of
    /// background load that the (hard-smoothed) capacity estimate leaves behind.
    /// </summary>
    public double Ki { get; set; } = 0.3;

    /// <summary>Derivative gain, on the filtered signal; it amplifies measurement noise, so it stays small.</summary>
    public double Kd { get; set; }

    /// <summary>Relative error below which the weight is left alone (against churn).</summary>
    public double Deadband { get; set; } = 0.005;

    /// <summary>
    /// Errors within this many standard deviations of the endpoint's measured signal noise are left to the capacity
    /// estimate (which averages noise) instead of the PID (which would integrate it); beyond, only the excess counts.
    /// 0 leaves only <see cref="Deadband"/>.
    /// </summary>
    public double NoiseBand { get; set; } = 3;

    /// <summary>Smallest weight as a multiple of the mean weight.</summary>
    public double MinWeightRatio { get; set; } = 0.1;

    /// <summary>Largest weight as a multiple of the mean weight.</summary>
    public double MaxWeightRatio { get; set; } = 10;

    /// <summary>How long a new endpoint ramps up before it is under full control.</summary>
    public TimeSpan WarmUp { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Share of the mean weight a new endpoint starts from.</summary>
    public double WarmUpStartRatio { get; set; } = 0.1;

    /// <summary>No report for this long: the endpoint is STALE.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A STALE endpoint's weight eases to <see cref="StaleWeightRatio"/> of the mean over this time.</summary>
    public TimeSpan StaleDecay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The safe share a STALE endpoint eases to, as a multiple of the mean weight.</summary>
    public double StaleWeightRatio { get; set; } = 0.5;

    /// <summary>A self-registered endpoint stale this long leaves the service (drains, then is removed).</summary>
    public TimeSpan RemoveAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a leaving endpoint stays DRAINING with weight 0 before it is forgotten.</summary>
    public TimeSpan DrainFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>When more than this share of a service's endpoints is stale, its weights are frozen.</summary>
    public double FreezeStaleRatio { get; set; } = 0.5;

    /// <summary>
    /// Weight of a new sample in the signal filter while the endpoint is steady (EWMA alpha); small
    /// values suppress noise, 1 (the default) disables smoothing. A filter inside the loop lags the
    /// background load's drift, which costs more balance than the noise it removes: the low gains
    /// are the noise filter (bench/results/tune.md). Real changes are detected either way.
    /// </summary>
    public double Smoothing { get; set; } = 1;

    /// <summary>
    /// Like <see cref="Smoothing"/>, for the capacity estimate (the feed-forward). A node's capacity
    /// changes rarely and by jumps, which pass at once; between them the estimate would carry CPU noise
    /// straight into the weight, so it is smoothed hard and the integrator follows the slow drift.
    /// </summary>
    public double CapacitySmoothing { get; set; } = 0.35;

    /// <summary>
    /// A sample this many standard deviations (of the recent residuals) away from the filtered
    /// value is a real change, not noise: the filter jumps to it at once.
    /// </summary>
    public double ChangeThreshold { get; set; } = 4;

    /// <summary>
    /// Integral gain for the one tick in which an endpoint's signal changed for real (see
    /// <see cref="ChangeThreshold"/>) without its capacity estimate jumping too (a stall, a jump of background
    /// load): such a change is answered at once rather than over many ticks.
    /// 0 leaves it at <see cref="Ki"/>.
    /// </summary>
    public double ChangeGain { get; set; } = 0.5;

    /// <summary>
    /// Use reports' requests_per_second to estimate capacity (qps / utilization, as gRFC A58)
    /// as feed-forward; the PID then only corrects what the estimate gets wrong.
    /// </summary>
    public bool CapacityFeedForward { get; set; } = true;

    /// <summary>Returns one message per bad value, each naming the key and the rule; empty when valid.</summary>
    public IReadOnlyList<string> Validate(string prefix = "Robinhood:Control")
    {
        var errors = new List<string>();
        void Check(bool ok, string key, string rule)
        {
            if (!ok)
            {
                errors.Add($"{prefix}:{key} {rule}");
            }
        }

        Check(Enum.IsDefined(Signal), nameof(Signal), "must be one of Max, Cpu, InFlight");
        foreach (var bound in Bounds)
        {
            Check(bound.Accepts(bound.Read(this)), bound.Key, bound.Rule);
        }

        Check(!Bounds[0].Accepts(Kp) || !Bounds[1].Accepts(Ki) || Kp + Ki <= MaxKpPlusKi, nameof(Ki), "must keep Kp + Ki at most 0.8");
        Check(WarmUp >= TimeSpan.Zero, nameof(WarmUp), "must not be negative");
        Check(StaleAfter > TimeSpan.Zero, nameof(StaleAfter), "must be positive");
        Check(StaleDecay >= TimeSpan.Zero, nameof(StaleDecay), "must not be negative");
        Check(RemoveAfter > StaleAfter, nameof(RemoveAfter), "must be longer than StaleAfter");
        Check(DrainFor >= TimeSpan.Zero, nameof(DrainFor), "must not be negative");
        return errors;
    }
}
