namespace Robinhood.Agent.Measurement;

/// <summary>CPU of a cgroup v2 directory: <c>cpu.stat</c> usage_usec against the <c>cpu.max</c> quota.</summary>
public sealed class CgroupV2CpuSource(string directory, double hostCpus) : ICpuUsageSource
{
    private const double MicrosecondsPerSecond = 1e6;

    public string Kind => "cgroup-v2";

    public string Directory => directory;

    /// <summary>True when <paramref name="directory"/> holds cgroup v2 CPU accounting.</summary>
    public static bool IsPresent(string directory) => File.Exists(Path.Join(directory, "cpu.stat"))
        && File.ReadLines(Path.Join(directory, "cpu.stat")).Any(line => line.StartsWith("usage_usec ", StringComparison.Ordinal));

    public CpuUsage Read()
    {
        var usedMicroseconds = KernelFile.ReadKeyedInteger(Path.Join(directory, "cpu.stat"), "usage_usec");
        return new CpuUsage(usedMicroseconds / MicrosecondsPerSecond, AllowedCpus());
    }

    // cpu.max is "$MAX $PERIOD", $MAX being "max" without a limit. The root cgroup has no cpu.max at all.
    private double AllowedCpus()
    {
        var path = Path.Join(directory, "cpu.max");
        if (!File.Exists(path))
        {
            return hostCpus;
        }

        var fields = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fields.Length != 2)
        {
            throw new IOException($"{path}: expected '$MAX $PERIOD', got '{string.Join(' ', fields)}'.");
        }

        return fields[0] == "max"
            ? hostCpus
            : CpuQuota.AllowedCpus(KernelFile.ParseInteger(fields[0], path), KernelFile.ParseInteger(fields[1], path), hostCpus);
    }
}
