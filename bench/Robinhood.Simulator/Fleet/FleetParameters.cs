namespace Robinhood.Simulator.Fleet;

/// <summary>The constants of the fleet model; the defaults are what every published number was run with.</summary>
public sealed record FleetParameters
{
    /// <summary>Requests per second one core of speed 1 serves at 100% CPU.</summary>
    public double CapacityPerCore { get; init; } = 25;

    /// <summary>Cores per node are drawn uniformly from this range (with speed, the ~4× capacity spread).</summary>
    public int MinCores { get; init; } = 2;

    public int MaxCores { get; init; } = 8;

    /// <summary>Per-core speed relative to the reference, drawn uniformly.</summary>
    public double MinSpeed { get; init; } = 0.9;

    public double MaxSpeed { get; init; } = 1.1;

    /// <summary>Latency of one request on an idle node of speed 1, seconds.</summary>
    public double ServiceTime { get; init; } = 0.04;

    /// <summary>max_in_flight reported per core.</summary>
    public uint MaxInFlightPerCore { get; init; } = 8;

    /// <summary>Each node's own background CPU (daemons, GC) is drawn uniformly from this range.</summary>
    public double MinBackground { get; init; } = 0.02;

    public double MaxBackground { get; init; } = 0.08;

    /// <summary>Background CPU wanders around its base: standard deviation of one tick's step.</summary>
    public double BackgroundWalk { get; init; } = 0.003;

    /// <summary>Share of the distance back to the base background closed each tick.</summary>
    public double BackgroundReversion { get; init; } = 0.1;

    /// <summary>Measured CPU is off by a uniform relative error within ±this (±1.5%); requests/s and in-flight are counters, exact.</summary>
    public double MeasurementNoise { get; init; } = 0.015;

    /// <summary>A node stalled on I/O completes this share of its normal throughput...</summary>
    public double StallThroughput { get; init; } = 0.25;

    /// <summary>...and each request takes this many times longer.</summary>
    public double StallLatencyFactor { get; init; } = 10;

    /// <summary>Queue beyond this many times max_in_flight is refused (dropped).</summary>
    public double QueueLimitFactor { get; init; } = 4;

    /// <summary>Queueing delay 1/(1−ρ) is computed with ρ capped here; beyond it the backlog carries the delay.</summary>
    public double UtilizationCap { get; init; } = 0.95;
}
