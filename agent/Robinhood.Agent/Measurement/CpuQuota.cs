namespace Robinhood.Agent.Measurement;

/// <summary>CFS bandwidth quota (cgroup v1 and v2 alike) turned into a number of CPUs.</summary>
internal static class CpuQuota
{
    /// <summary>quota/period CPUs, never more than the host has; a negative quota (v1's -1) means no limit.</summary>
    public static double AllowedCpus(long quota, long period, double hostCpus) =>
        quota <= 0 || period <= 0 ? hostCpus : Math.Min((double)quota / period, hostCpus);
}
