using Microsoft.Extensions.Time.Testing;
using Robinhood.Agent.Measurement;
using Robinhood.Agent.Node;

namespace Robinhood.Agent.Tests.Node;

public sealed class PodCgroupLocatorTests
{
    [Theory]
    [InlineData("node-cgroup-v2-systemd", TestPods.BurstableUid,
        "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod3f8a1c2e_7b4d_4e2a_9c1f_0a1b2c3d4e5f.slice")]
    [InlineData("node-cgroup-v2-systemd", TestPods.BestEffortUid,
        "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod9b1e2d3c_4a5b_4c6d_8e7f_102132435465.slice")]
    [InlineData("node-cgroup-v2-systemd", TestPods.GuaranteedUid, "kubepods.slice/kubepods-pod5c2d7e8f_1a2b_4c3d_9e4f_a1b2c3d4e5f6.slice")]
    [InlineData("node-cgroup-v1-cgroupfs", TestPods.BurstableUid, "kubepods/burstable/pod3f8a1c2e-7b4d-4e2a-9c1f-0a1b2c3d4e5f")]
    [InlineData("node-cgroup-v1-cgroupfs", TestPods.BestEffortUid, "kubepods/besteffort/pod9b1e2d3c-4a5b-4c6d-8e7f-102132435465")]
    [InlineData("node-cgroup-v1-cgroupfs", TestPods.GuaranteedUid, "kubepods/pod5c2d7e8f-1a2b-4c3d-9e4f-a1b2c3d4e5f6")]
    public void Find_PodInARealLayout_ReturnsItsPodCgroupNotAContainers(string fixture, string uid, string expected)
    {
        using var cgroup = FixtureDirectory.Copy(fixture);

        Assert.Equal(expected, new PodCgroupLocator(cgroup.Path).Find(uid));
    }

    [Theory]
    [InlineData("node-cgroup-v2-systemd", TestPods.BurstableUid, "cgroup-v2", 1.5)]
    [InlineData("node-cgroup-v2-systemd", TestPods.GuaranteedUid, "cgroup-v2", 2)]
    [InlineData("node-cgroup-v2-systemd", TestPods.BestEffortUid, "cgroup-v2", 3)]
    [InlineData("node-cgroup-v1-cgroupfs", TestPods.BurstableUid, "cgroup-v1", 1.5)]
    [InlineData("node-cgroup-v1-cgroupfs", TestPods.GuaranteedUid, "cgroup-v1", 2)]
    [InlineData("node-cgroup-v1-cgroupfs", TestPods.BestEffortUid, "cgroup-v1", 3)]
    public void Find_ThenForCgroup_MetersThePodAgainstItsQuotaElseTheFallback(string fixture, string uid, string kind, double allowed)
    {
        using var cgroup = FixtureDirectory.Copy(fixture);
        var path = new PodCgroupLocator(cgroup.Path).Find(uid)!;

        var meter = CpuMeter.ForCgroup(cgroup.Path, path, new FakeTimeProvider(), hostCpus: 3);

        Assert.NotNull(meter);
        Assert.Equal(kind, meter.Source.Kind);
        Assert.Equal(allowed, meter.Source.Read().AllowedCpus);
    }

    [Fact]
    public void Find_UnknownUid_ReturnsNull()
    {
        using var cgroup = FixtureDirectory.Copy("node-cgroup-v2-systemd");

        Assert.Null(new PodCgroupLocator(cgroup.Path).Find("00000000-1111-2222-3333-444444444444"));
    }

    [Fact]
    public void Find_FoundOnce_ServesTheCachedPathUntilForgotten()
    {
        using var cgroup = FixtureDirectory.Copy("node-cgroup-v1-cgroupfs");
        var locator = new PodCgroupLocator(cgroup.Path);
        var path = locator.Find(TestPods.GuaranteedUid);
        Directory.Move(Path.Join(cgroup.Path, "cpu,cpuacct", path), Path.Join(cgroup.Path, "cpu,cpuacct", "kubepods", "burstable", $"pod{TestPods.GuaranteedUid}"));

        Assert.Equal(path, locator.Find(TestPods.GuaranteedUid));
        locator.Forget(TestPods.GuaranteedUid);
        Assert.Equal($"kubepods/burstable/pod{TestPods.GuaranteedUid}", locator.Find(TestPods.GuaranteedUid));
    }
}
