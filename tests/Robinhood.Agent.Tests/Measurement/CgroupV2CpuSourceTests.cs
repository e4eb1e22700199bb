using Robinhood.Agent.Measurement;

namespace Robinhood.Agent.Tests.Measurement;

public sealed class CgroupV2CpuSourceTests
{
    [Fact]
    public void Read_QuotaAndPeriod_ReturnsUsageSecondsAndQuotaCpus()
    {
        using var cgroup = FixtureDirectory.Copy("cgroup-v2-limited");

        Assert.Equal(new CpuUsage(8.431273, 2), new CgroupV2CpuSource(cgroup.Path, 4).Read());
    }

    [Fact]
    public void Read_MaxQuota_ReturnsHostCpus()
    {
        using var cgroup = FixtureDirectory.Copy("cgroup-v2-unlimited");

        Assert.Equal(4, new CgroupV2CpuSource(cgroup.Path, 4).Read().AllowedCpus);
    }

    [Fact]
    public void Read_QuotaAboveHostCpus_ReturnsHostCpus()
    {
        using var cgroup = FixtureDirectory.Copy("cgroup-v2-limited");
        cgroup.Replace("cpu.max", "200000 100000", "800000 100000");

        Assert.Equal(4, new CgroupV2CpuSource(cgroup.Path, 4).Read().AllowedCpus);
    }

    [Fact]
    public void Read_RootCgroupWithoutCpuMax_ReturnsHostCpus()
    {
        using var cgroup = FixtureDirectory.Copy("cgroup-v2-limited");
        File.Delete(Path.Join(cgroup.Path, "cpu.max"));

        Assert.Equal(3, new CgroupV2CpuSource(cgroup.Path, 3).Read().AllowedCpus);
    }

    [Fact]
    public void Read_CpuStatWithoutUsage_ThrowsIOExceptionNamingTheKey()
    {
        using var cgroup = FixtureDirectory.Copy("cgroup-v2-limited");
        cgroup.Replace("cpu.stat", "usage_usec 8431273\n", "");

        var error = Assert.Throws<IOException>(() => new CgroupV2CpuSource(cgroup.Path, 4).Read());
        Assert.Contains("usage_usec", error.Message, StringComparison.Ordinal);
    }
}
