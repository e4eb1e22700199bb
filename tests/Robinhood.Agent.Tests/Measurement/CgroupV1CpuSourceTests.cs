using Robinhood.Agent.Measurement;

namespace Robinhood.Agent.Tests.Measurement;

public sealed class CgroupV1CpuSourceTests
{
    [Fact]
    public void Find_CoMountedControllersWithQuota_ReturnsNanosecondUsageAndQuotaCpus()
    {
        using var cgroup = FixtureDirectory.Copy("cgroup-v1-limited");

        Assert.Equal(new CpuUsage(149.545327739, 1.5), CgroupV1CpuSource.Find(cgroup.Path, "", 4)!.Read());
    }

    [Fact]
    public void Find_SeparateMountsWithQuotaMinusOne_ReturnsHostCpus()
    {
        using var cgroup = FixtureDirectory.Copy("cgroup-v1-unlimited");

        Assert.Equal(new CpuUsage(149.545327739, 4), CgroupV1CpuSource.Find(cgroup.Path, "", 4)!.Read());
    }

    [Fact]
    public void Find_NoCpuacctController_ReturnsNull()
    {
        using var cgroup = FixtureDirectory.Copy("cgroup-v2-limited");

        Assert.Null(CgroupV1CpuSource.Find(cgroup.Path, "", 4));
    }
}
