namespace Robinhood.Agent.Measurement;

/// <summary>
/// CPU utilization of one measured unit: CPU-seconds used per wall second over the CPUs allowed, in [0, 1].
/// One meter per endpoint; node mode passes each pod's cgroup path.
/// </summary>
public sealed class CpuMeter
{
    private readonly CounterRate _rate;

    public CpuMeter(ICpuUsageSource source, TimeProvider time)
    {
        Source = source;
        _rate = new CounterRate(time);
    }

    public ICpuUsageSource Source { get; }

    /// <summary>
    /// The first source present, in order: cgroup v2 at <paramref name="cgroupRoot"/>/<paramref name="cgroupPath"/>,
    /// cgroup v1 controllers below <paramref name="cgroupRoot"/>, then <paramref name="procRoot"/>/stat.
    /// </summary>
    /// <param name="hostCpus">CPUs allowed when the cgroup sets no quota; default the host's.</param>
    public static CpuMeter Create(string cgroupRoot, string procRoot, TimeProvider time, string cgroupPath = "", double? hostCpus = null) =>
        ForCgroup(cgroupRoot, cgroupPath, time, hostCpus) ?? new CpuMeter(new ProcStatCpuSource(procRoot), time);

    /// <summary>Cgroup v2, else v1, accounting of <paramref name="cgroupPath"/>; null when neither is there (no machine-wide fallback).</summary>
    public static CpuMeter? ForCgroup(string cgroupRoot, string cgroupPath, TimeProvider time, double? hostCpus = null)
    {
        var cpus = hostCpus ?? Environment.ProcessorCount;
        var v2Directory = Path.Join(cgroupRoot, cgroupPath);
        ICpuUsageSource? source = CgroupV2CpuSource.IsPresent(v2Directory)
            ? new CgroupV2CpuSource(v2Directory, cpus)
            : CgroupV1CpuSource.Find(cgroupRoot, cgroupPath, cpus);
        return source is null ? null : new CpuMeter(source, time);
    }

    /// <summary>Utilization since the previous call; null on the first call, which only sets the baseline.</summary>
    public double? Sample()
    {
        var usage = Source.Read();
        var cpuSecondsPerSecond = _rate.Update(usage.UsedSeconds);
        return cpuSecondsPerSecond is { } rate && usage.AllowedCpus > 0
            ? Math.Clamp(rate / usage.AllowedCpus, 0, 1)
            : null;
    }
}
