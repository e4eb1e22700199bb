namespace Robinhood.Agent.Measurement;

/// <summary>CPU of a cgroup v1 hierarchy: <c>cpuacct.usage</c> (ns) against <c>cpu.cfs_quota_us</c>/<c>cpu.cfs_period_us</c>.</summary>
public sealed class CgroupV1CpuSource(string cpuacctDirectory, string? cpuDirectory, double hostCpus) : ICpuUsageSource
{
    private const double NanosecondsPerSecond = 1e9;

    // Distributions mount the v1 controllers separately or co-mounted, under either name order.
    private static readonly string[] CpuacctMounts = ["cpuacct", "cpu,cpuacct", "cpuacct,cpu"];
    private static readonly string[] CpuMounts = ["cpu", "cpu,cpuacct", "cpuacct,cpu"];

    public string Kind => "cgroup-v1";

    /// <summary>True for the name of a v1 mount holding CPU accounting (<c>cpuacct</c>, <c>cpu,cpuacct</c>, ...).</summary>
    public static bool IsCpuMount(string name) => CpuacctMounts.Contains(name, StringComparer.Ordinal);

    /// <summary>Finds the v1 directories of <paramref name="cgroupPath"/> below <paramref name="cgroupRoot"/>, or null.</summary>
    public static CgroupV1CpuSource? Find(string cgroupRoot, string cgroupPath, double hostCpus)
    {
        var cpuacct = FirstExisting(cgroupRoot, CpuacctMounts, cgroupPath, "cpuacct.usage");
        return cpuacct is null
            ? null
            : new CgroupV1CpuSource(cpuacct, FirstExisting(cgroupRoot, CpuMounts, cgroupPath, "cpu.cfs_quota_us"), hostCpus);
    }

    public CpuUsage Read()
    {
        var usedNanoseconds = KernelFile.ReadInteger(Path.Join(cpuacctDirectory, "cpuacct.usage"));
        return new CpuUsage(usedNanoseconds / NanosecondsPerSecond, AllowedCpus());
    }

    private double AllowedCpus() => cpuDirectory is null
        ? hostCpus
        : CpuQuota.AllowedCpus(
            KernelFile.ReadInteger(Path.Join(cpuDirectory, "cpu.cfs_quota_us")),
            KernelFile.ReadInteger(Path.Join(cpuDirectory, "cpu.cfs_period_us")),
            hostCpus);

    private static string? FirstExisting(string root, string[] mounts, string cgroupPath, string file) =>
        mounts.Select(mount => Path.Join(root, mount, cgroupPath)).FirstOrDefault(dir => File.Exists(Path.Join(dir, file)));
}
