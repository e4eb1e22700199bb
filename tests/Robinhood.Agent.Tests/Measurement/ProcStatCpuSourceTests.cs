using Robinhood.Agent.Measurement;

namespace Robinhood.Agent.Tests.Measurement;

public sealed class ProcStatCpuSourceTests
{
    [Fact]
    public void Read_FixtureStat_CountsBusyTicksAsCentisecondsOverPerCpuLines()
    {
        using var proc = FixtureDirectory.Copy("proc");

        // user 9803 + nice 0 + system 4911 + irq 0 + softirq 141; idle and iowait are not work.
        Assert.Equal(new CpuUsage(148.55, 4), new ProcStatCpuSource(proc.Path).Read());
    }

    [Fact]
    public void Read_NoAggregateLine_ThrowsIOException()
    {
        using var proc = FixtureDirectory.Copy("proc");
        proc.Replace("stat", "cpu  9803 0 4911 54882 390 0 141 0 0 0\n", "");

        Assert.Throws<IOException>(() => new ProcStatCpuSource(proc.Path).Read());
    }
}
