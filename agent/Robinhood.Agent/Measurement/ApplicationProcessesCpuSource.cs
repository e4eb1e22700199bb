namespace Robinhood.Agent.Measurement;

/// <summary>
/// CPU of the application a sidecar agent runs beside: every process in the pod's shared process namespace
/// (<c>shareProcessNamespace: true</c>) outside the agent's own container, against the application's CPU
/// limit (the Downward API's <c>limits.cpu</c>). Works alike under cgroup v1 and v2, with private cgroup
/// namespaces or not: a process's container is told apart by its <c>/proc/&lt;pid&gt;/cgroup</c>.
/// </summary>
/// <remarks>
/// The counter is kept monotonic across processes that come and go: each tick adds what every process
/// known from the last scan used since then, and everything a new process used (children reaped by a
/// process are in its cutime/cstime, so they are not lost).
/// </remarks>
public sealed class ApplicationProcessesCpuSource : ICpuUsageSource
{
    // USER_HZ, as for /proc/stat.
    private const double TicksPerSecond = 100;

    private readonly string _procRoot;
    private readonly double _allowedCpus;
    private readonly string? _processName;
    private readonly int _self;
    private readonly string _selfCgroup;
    private Dictionary<(int Pid, long Start), long> _last = [];
    private long _ticks;

    private ApplicationProcessesCpuSource(string procRoot, double allowedCpus, string? processName, int self, string selfCgroup)
    {
        _procRoot = procRoot;
        _allowedCpus = allowedCpus;
        _processName = processName;
        _self = self;
        _selfCgroup = selfCgroup;
    }

    public string Kind => "application-processes";

    /// <summary>
    /// The application's processes as seen from <paramref name="procRoot"/>. Throws, with the reason, when the
    /// agent sees no process outside its own container: it would only measure itself.
    /// </summary>
    /// <param name="allowedCpus">The application's CPU limit; null: the machine's CPUs (<c>/proc/stat</c>).</param>
    /// <param name="processName">Only processes of this name (<c>/proc/&lt;pid&gt;/comm</c>); null: every one outside the agent's container.</param>
    public static ApplicationProcessesCpuSource Find(string procRoot, double? allowedCpus, string? processName)
    {
        var self = ReadPid(Path.Join(procRoot, "self", "stat"));
        var selfCgroup = File.ReadAllText(Path.Join(procRoot, "self", "cgroup"));
        var source = new ApplicationProcessesCpuSource(
            procRoot, allowedCpus ?? new ProcStatCpuSource(procRoot).Read().AllowedCpus, processName, self, selfCgroup);
        if (!source.Processes(includeSandbox: true).Any())
        {
            throw new InvalidOperationException(
                $"The sidecar agent sees no process outside its own container in {procRoot}: it would report its own CPU, not the application's. " +
                "Share the pod's process namespace (shareProcessNamespace: true in the pod spec), or embed the agent in the application.");
        }

        return source;
    }

    public CpuUsage Read()
    {
        var now = new Dictionary<(int Pid, long Start), long>();
        foreach (var (key, ticks) in Processes(includeSandbox: false))
        {
            now[key] = ticks;
            _ticks += _last.TryGetValue(key, out var before) ? Math.Max(0, ticks - before) : ticks;
        }

        _last = now;
        return now.Count > 0
            ? new CpuUsage(_ticks / TicksPerSecond, _allowedCpus)
            : throw new IOException($"No application process is running in {_procRoot} (it may be starting or restarting).");
    }

    /// <summary>
    /// Processes outside the agent's container, each with its CPU ticks so far; the pod's pause process (PID 1
    /// of a shared namespace) only when <paramref name="includeSandbox"/>, as proof the namespace is shared.
    /// </summary>
    private IEnumerable<((int Pid, long Start) Key, long Ticks)> Processes(bool includeSandbox)
    {
        foreach (var directory in Directory.EnumerateDirectories(_procRoot))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == _self)
            {
                continue;
            }

            string comm, cgroup, stat;
            try
            {
                comm = File.ReadAllText(Path.Join(directory, "comm")).TrimEnd('\n');
                cgroup = File.ReadAllText(Path.Join(directory, "cgroup"));
                stat = File.ReadAllText(Path.Join(directory, "stat"));
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
            {
                // Exited between the listing and the read, or hidden from this agent.
                continue;
            }

            var sandbox = pid == 1 && comm == "pause";
            if (cgroup == _selfCgroup
                || (sandbox && !includeSandbox)
                || (!sandbox && _processName is not null && comm != _processName))
            {
                continue;
            }

            var (start, ticks) = ParseStat(stat, Path.Join(directory, "stat"));
            yield return ((pid, start), ticks);
        }
    }

    private static int ReadPid(string path)
    {
        var text = File.ReadAllText(path);
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && int.TryParse(text.AsSpan(0, space), out var pid) ? pid : throw new IOException($"{path}: no process ID first.");
    }

    // proc(5): after "pid (comm)" — comm may hold spaces and parentheses, so split after the last ')' — field 3 is
    // the state; utime, stime, cutime, cstime are fields 14-17 and starttime is field 22.
    private static (long Start, long Ticks) ParseStat(string stat, string path)
    {
        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 20)
        {
            throw new IOException($"{path}: {fields.Length + 2} fields, expected at least 22.");
        }

        long Field(int number) => KernelFile.ParseInteger(fields[number - 3], path);
        return (Field(22), Field(14) + Field(15) + Field(16) + Field(17));
    }
}
