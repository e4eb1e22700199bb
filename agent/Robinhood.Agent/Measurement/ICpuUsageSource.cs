namespace Robinhood.Agent.Measurement;

/// <summary>One place the kernel accounts CPU time: a cgroup v2 or v1 directory, or the whole machine.</summary>
public interface ICpuUsageSource
{
    /// <summary>Short name for logs: <c>cgroup-v2</c>, <c>cgroup-v1</c> or <c>proc-stat</c>.</summary>
    string Kind { get; }

    /// <summary>Reads the counters now; throws <see cref="IOException"/> when they cannot be read.</summary>
    CpuUsage Read();
}
