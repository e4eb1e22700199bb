using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Agent.Measurement;

namespace Robinhood.Agent.Tests.Measurement;

/// <summary>
/// A sidecar agent in a pod with a shared process namespace, on fixture /proc trees of such a pod: the agent
/// (PID 57 and its shell 64, in its own container), the pause process (PID 1) and the application (12 and 30).
/// </summary>
public sealed class ApplicationProcessesCpuSourceTests
{
    private readonly FakeTimeProvider _time = new();

    [Theory]
    [InlineData("pod-sidecar-cgroup-v2")]
    [InlineData("pod-sidecar-cgroup-v1")]
    public void Sample_PrivateCgroupNamespaces_MeasuresTheApplicationsProcessesNotTheAgents(string fixture)
    {
        using var proc = FixtureDirectory.Copy(fixture);
        var meter = new CpuMeter(ApplicationProcessesCpuSource.Find(proc.Path, allowedCpus: 2, processName: null), _time);
        Assert.Equal("application-processes", meter.Source.Kind);
        Assert.Null(meter.Sample());

        // In one second the application uses 1.5 CPU-seconds (1.0 in dotnet, 0.5 in the worker's reaped children);
        // the agent burns 3 and the pause process 1, none of which is the application's.
        proc.Replace("12/stat", " 1000 200 0 0 ", " 1080 220 0 0 ");
        proc.Replace("30/stat", " 300 100 50 10 ", " 300 100 90 20 ");
        proc.Replace("57/stat", " 5000 700 0 0 ", " 5250 750 0 0 ");
        proc.Replace("64/stat", " 40 10 0 0 ", " 90 10 0 0 ");
        proc.Replace("1/stat", " 2 3 0 0 ", " 102 3 0 0 ");
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(0.75, meter.Sample()!.Value, 9);
    }

    [Fact]
    public void Find_NoProcessOutsideItsOwnContainer_RefusesNamingTheFix()
    {
        using var proc = FixtureDirectory.Copy("pod-sidecar-unshared");

        var error = Assert.Throws<InvalidOperationException>(() => ApplicationProcessesCpuSource.Find(proc.Path, allowedCpus: 1, processName: null));

        Assert.Contains("would report its own CPU", error.Message, StringComparison.Ordinal);
        Assert.Contains("shareProcessNamespace: true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddRobinhoodSidecarAgent_ProcessNamespaceNotShared_HostRefusesToStartWithTheReason()
    {
        using var proc = FixtureDirectory.Copy("pod-sidecar-unshared");
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Robinhood:Agent:Service"] = "checkout",
            ["Robinhood:Agent:Endpoint"] = "10.0.0.7:8080",
            ["Robinhood:Agent:ProcRoot"] = proc.Path,
        });
        builder.Services.AddLogging();
        builder.Services.AddRobinhoodSidecarAgent(builder.Configuration);
        using var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync(timeout.Token));

        Assert.Contains("shareProcessNamespace: true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sample_WithoutALimit_DividesByTheMachinesCpus()
    {
        using var proc = FixtureDirectory.Copy("pod-sidecar-cgroup-v2");
        var meter = new CpuMeter(ApplicationProcessesCpuSource.Find(proc.Path, allowedCpus: null, processName: null), _time);
        meter.Sample();

        proc.Replace("12/stat", " 1000 200 0 0 ", " 1200 200 0 0 ");
        _time.Advance(TimeSpan.FromSeconds(1));

        // 2 CPU-seconds per second of the fixture machine's 4 CPUs (/proc/stat).
        Assert.Equal(0.5, meter.Sample()!.Value, 9);
    }

    [Fact]
    public void Sample_ProcessNameSet_MeasuresOnlyProcessesOfThatName()
    {
        using var proc = FixtureDirectory.Copy("pod-sidecar-cgroup-v2");
        var meter = new CpuMeter(ApplicationProcessesCpuSource.Find(proc.Path, allowedCpus: 1, processName: "dotnet"), _time);
        meter.Sample();

        proc.Replace("12/stat", " 1000 200 0 0 ", " 1030 200 0 0 ");
        proc.Replace("30/stat", " 300 100 50 10 ", " 400 100 50 10 ");
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(0.3, meter.Sample()!.Value, 9);
    }

    [Fact]
    public void Sample_ProcessExitsAndAnotherStarts_CountsOnlyWhatWasUsedMeanwhile()
    {
        using var proc = FixtureDirectory.Copy("pod-sidecar-cgroup-v2");
        var meter = new CpuMeter(ApplicationProcessesCpuSource.Find(proc.Path, allowedCpus: 1, processName: null), _time);
        meter.Sample();

        // The worker (4.6 CPU-seconds so far) exits; a new one starts and uses 0.2; dotnet uses 0.3.
        Directory.Delete(Path.Join(proc.Path, "30"), recursive: true);
        Directory.CreateDirectory(Path.Join(proc.Path, "31"));
        foreach (var file in new[] { "comm", "cgroup" })
        {
            File.Copy(Path.Join(proc.Path, "12", file), Path.Join(proc.Path, "31", file));
        }

        File.WriteAllText(Path.Join(proc.Path, "31", "stat"), File.ReadAllText(Path.Join(proc.Path, "12", "stat"))
            .Replace("12 (dotnet)", "31 (dotnet)", StringComparison.Ordinal).Replace(" 1000 200 0 0 ", " 15 5 0 0 ", StringComparison.Ordinal));
        proc.Replace("12/stat", " 1000 200 0 0 ", " 1030 200 0 0 ");
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(0.5, meter.Sample()!.Value, 9);
    }

    [Fact]
    public void Read_ApplicationNotRunning_FailsInsteadOfReportingIdle()
    {
        using var proc = FixtureDirectory.Copy("pod-sidecar-cgroup-v2");
        var source = ApplicationProcessesCpuSource.Find(proc.Path, allowedCpus: 1, processName: null);
        Directory.Delete(Path.Join(proc.Path, "12"), recursive: true);
        Directory.Delete(Path.Join(proc.Path, "30"), recursive: true);

        Assert.Throws<IOException>(() => source.Read());
    }
}
