namespace Robinhood.Agent.Measurement;

/// <summary>
/// CPU of the whole machine from <c>/proc/stat</c>: the aggregate <c>cpu</c> line's busy time against the
/// number of <c>cpuN</c> lines, the CPUs that aggregate covers.
/// </summary>
public sealed class ProcStatCpuSource(string procRoot) : ICpuUsageSource
{
    // USER_HZ: /proc/stat counts in 1/100 s on every architecture Linux exports it for (sysconf(_SC_CLK_TCK)).
    private const double TicksPerSecond = 100;

    public string Kind => "proc-stat";

    public CpuUsage Read()
    {
        var path = Path.Join(procRoot, "stat");
        double? busyTicks = null;
        var cpus = 0;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                busyTicks = BusyTicks(line, path);
            }
            else if (line.StartsWith("cpu", StringComparison.Ordinal))
            {
                cpus++;
            }
        }

        return busyTicks is { } busy && cpus > 0
            ? new CpuUsage(busy / TicksPerSecond, cpus)
            : throw new IOException($"{path} has no aggregate 'cpu' line or no per-CPU lines.");
    }

    // Fields: user nice system idle iowait irq softirq steal guest guest_nice. Busy is user+nice+system+irq+softirq;
    // idle and iowait are not work, steal is another guest's, and guest time is already inside user and nice.
    private static double BusyTicks(string line, string path)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 8)
        {
            throw new IOException($"{path}: the 'cpu' line has {fields.Length - 1} fields, expected at least 7.");
        }

        int[] busyFields = [1, 2, 3, 6, 7];
        return busyFields.Sum(index => (double)KernelFile.ParseInteger(fields[index], path));
    }
}
