using System.Globalization;

namespace Robinhood.ScaleBench.Hosting;

/// <summary>A process's CPU time so far and its resident memory, read from /proc.</summary>
public readonly record struct ProcessSample(double CpuSeconds, long RssBytes, DateTimeOffset At)
{
    /// <summary>USER_HZ: the unit of /proc's CPU times on every mainstream Linux.</summary>
    private const double ClockTicks = 100;

    public static ProcessSample Read(int pid)
    {
        // Fields after the command name (which may hold spaces): state is [0], utime [11], stime [12].
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var cpu = (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicks;
        long rss = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return new ProcessSample(cpu, rss, DateTimeOffset.UtcNow);
    }

    /// <summary>Cores used between two samples.</summary>
    public static double Cores(ProcessSample before, ProcessSample after) =>
        (after.CpuSeconds - before.CpuSeconds) / (after.At - before.At).TotalSeconds;
}

/// <summary>The whole machine's busy CPU time so far, from /proc/stat: how much else was running.</summary>
public readonly record struct MachineSample(double BusySeconds, DateTimeOffset At)
{
    public static MachineSample Read()
    {
        // cpu  user nice system idle iowait irq softirq steal ...
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        double Field(int i) => double.Parse(fields[i], CultureInfo.InvariantCulture);
        var busy = Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8);
        return new MachineSample(busy / 100, DateTimeOffset.UtcNow);
    }

    public static double Cores(MachineSample before, MachineSample after) =>
        (after.BusySeconds - before.BusySeconds) / (after.At - before.At).TotalSeconds;
}
