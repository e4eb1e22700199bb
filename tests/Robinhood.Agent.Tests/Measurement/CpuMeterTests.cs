using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Agent.Measurement;

namespace Robinhood.Agent.Tests.Measurement;

public sealed class CpuMeterTests
{
    private const string NoProc = "/nonexistent-proc";
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Sample_CgroupV2WithTwoCpuLimit_ReturnsCpuSecondsPerSecondOverLimit()
    {
        using var cgroup = FixtureDirectory.Copy("cgroup-v2-limited");
        var meter = CpuMeter.Create(cgroup.Path, NoProc, _time, hostCpus: 4);
        Assert.Equal("cgroup-v2", meter.Source.Kind);
        Assert.Null(meter.Sample());

        cgroup.Replace("cpu.stat", "usage_usec 8431273", "usage_usec 9431273");
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(0.5, meter.Sample()!.Value, 9);
    }

    [Fact]
    public void Sample_CgroupV2WithoutLimit_DividesByHostCpus()
    {
        using var cgroup = FixtureDirectory.Copy("cgroup-v2-unlimited");
        var meter = CpuMeter.Create(cgroup.Path, NoProc, _time, hostCpus: 4);
        meter.Sample();

        cgroup.Replace("cpu.stat", "usage_usec 8431273", "usage_usec 9431273");
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(0.125, meter.Sample()!.Value, 9);
    }

    [Fact]
    public void Sample_CgroupV1CoMountedWithQuota_DividesByQuotaOverPeriod()
    {
        using var cgroup = FixtureDirectory.Copy("cgroup-v1-limited");
        var meter = CpuMeter.Create(cgroup.Path, NoProc, _time, hostCpus: 4);
        Assert.Equal("cgroup-v1", meter.Source.Kind);
        meter.Sample();

        // 1.5 CPU-seconds in 2 s is 0.75 CPUs of the 1.5 the quota allows.
        cgroup.Replace("cpu,cpuacct/cpuacct.usage", "149545327739", "151045327739");
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(0.5, meter.Sample()!.Value, 9);
    }

    [Fact]
    public void Sample_CgroupV1SeparateMountsWithoutQuota_DividesByHostCpus()
    {
        using var cgroup = FixtureDirectory.Copy("cgroup-v1-unlimited");
        var meter = CpuMeter.Create(cgroup.Path, NoProc, _time, hostCpus: 4);
        Assert.Equal("cgroup-v1", meter.Source.Kind);
        meter.Sample();

        cgroup.Replace("cpuacct/cpuacct.usage", "149545327739", "151545327739");
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(0.5, meter.Sample()!.Value, 9);
    }

    [Fact]
    public void Sample_NoCgroupAccounting_FallsBackToProcStatOverItsCpuLines()
    {
        using var proc = FixtureDirectory.Copy("proc");
        var meter = CpuMeter.Create(proc.Path, proc.Path, _time, hostCpus: 64);
        Assert.Equal("proc-stat", meter.Source.Kind);
        meter.Sample();

        // 100 user + 100 system ticks = 2 CPU-seconds in 1 s, on the fixture's 4 CPUs (not the 64 passed in).
        proc.Replace("stat", "cpu  9803 0 4911 ", "cpu  9903 0 5011 ");
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(0.5, meter.Sample()!.Value, 9);
    }

    [Fact]
    public void Sample_UsageAboveAllowance_ClampsToOne()
    {
        using var cgroup = FixtureDirectory.Copy("cgroup-v2-limited");
        var meter = CpuMeter.Create(cgroup.Path, NoProc, _time, hostCpus: 4);
        meter.Sample();

        cgroup.Replace("cpu.stat", "usage_usec 8431273", "usage_usec 13431273");
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(1.0, meter.Sample());
    }

    [Fact]
    public void Sample_CounterWentBackwards_ReturnsNullThenMeasuresFromTheNewBaseline()
    {
        using var cgroup = FixtureDirectory.Copy("cgroup-v2-limited");
        var meter = CpuMeter.Create(cgroup.Path, NoProc, _time, hostCpus: 4);
        meter.Sample();

        cgroup.Replace("cpu.stat", "usage_usec 8431273", "usage_usec 1000000");
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(meter.Sample());

        cgroup.Replace("cpu.stat", "usage_usec 1000000", "usage_usec 1400000");
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0.2, meter.Sample()!.Value, 9);
    }

    [Fact]
    public void Create_CgroupPathBelowRoot_MeasuresThatCgroup()
    {
        // Node mode hands each pod's cgroup path below the shared root.
        var meter = CpuMeter.Create(Path.Join(AppContext.BaseDirectory, "Fixtures"), NoProc, _time, "cgroup-v2-limited", hostCpus: 4);

        Assert.Equal(new CpuUsage(8.431273, 2), meter.Source.Read());
    }

    [Fact]
    public void Sample_ThisMachineProcStat_ReturnsUtilizationBetweenZeroAndOne()
    {
        var source = new ProcStatCpuSource("/proc");
        var meter = new CpuMeter(source, TimeProvider.System);
        var before = source.Read();
        meter.Sample();

        Spin(TimeSpan.FromMilliseconds(300));
        var utilization = meter.Sample();

        Assert.InRange(utilization!.Value, 0, 1);
        Assert.True(source.Read().UsedSeconds > before.UsedSeconds, "300 ms of spinning must show as busy ticks");
        Assert.Equal(File.ReadLines("/proc/stat").Count(line => line.StartsWith("cpu", StringComparison.Ordinal)) - 1, before.AllowedCpus);
    }

    [Fact]
    public void Sample_ThisMachineDetectedSource_ReturnsUtilizationBetweenZeroAndOne()
    {
        var meter = CpuMeter.Create("/sys/fs/cgroup", "/proc", TimeProvider.System);
        meter.Sample();

        Spin(TimeSpan.FromMilliseconds(200));

        Assert.InRange(meter.Sample()!.Value, 0, 1);
    }

    private static void Spin(TimeSpan duration)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < duration)
        {
            Thread.SpinWait(1000);
        }
    }
}
