namespace Robinhood.Agent.Measurement;

/// <summary>CPU time used so far (a cumulative counter) and the CPUs the measured unit may use.</summary>
/// <param name="UsedSeconds">Cumulative CPU-seconds since the counter started.</param>
/// <param name="AllowedCpus">The CPU limit when there is one, else the host's CPUs.</param>
public readonly record struct CpuUsage(double UsedSeconds, double AllowedCpus);
