using Microsoft.Extensions.Time.Testing;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Ingest;

/// <summary>The Report stream over real Kestrel on loopback: every bad report refused by name, nothing changed.</summary>
public sealed class LoadReporterServiceTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private static LoadReport Report(string service, string endpoint, ulong sequence, double cpu = 0.5) => new()
    {
        Service = service,
        Endpoint = endpoint,
        CpuUtilization = cpu,
        InFlight = 3,
        MaxInFlight = 100,
        Sequence = sequence,
    };

    public static TheoryData<string, Action<LoadReport>> BadReports => new()
    {
        { "cpu_utilization", r => r.CpuUtilization = double.NaN },
        { "cpu_utilization", r => r.CpuUtilization = double.PositiveInfinity },
        { "cpu_utilization", r => r.CpuUtilization = double.NegativeInfinity },
        { "cpu_utilization", r => r.CpuUtilization = -0.01 },
        { "cpu_utilization", r => r.CpuUtilization = 1.01 },
        { "requests_per_second", r => r.RequestsPerSecond = double.NaN },
        { "requests_per_second", r => r.RequestsPerSecond = -1 },
        { "service", r => r.Service = "" },
        { "service", r => r.Service = new string('a', 300) },
        { "service", r => r.Service = "bad service!" },
        { "endpoint", r => r.Endpoint = "10.0.0.1" },
        { "endpoint", r => r.Endpoint = "10.0.0.1:" },
        { "endpoint", r => r.Endpoint = "10.0.0.1:99999" },
        { "endpoint", r => r.Endpoint = "" },
        { "endpoint", r => r.Endpoint = "a b:80" },
    };

    [Theory]
    [MemberData(nameof(BadReports))]
    public async Task Report_InvalidField_RefusedNamingFieldAndChangesNothing(string field, Action<LoadReport> spoil)
    {
        var time = new FakeTimeProvider();
        await using var controller = await RunningController.StartAsync(time, $"--Robinhood:Control:Interval={Interval}");
        using var stream = new ReportStream(controller.Reporter);

        var bad = Report("checkout", "10.0.0.9:8080", 1);
        spoil(bad);
        var refused = await stream.SendAsync(bad);

        Assert.False(refused.Accepted);
        Assert.StartsWith(field + " ", refused.Error, StringComparison.Ordinal);
        Assert.Equal(bad.Sequence, refused.Sequence);

        // The stream is still usable, and the refused report left no trace.
        var ok = await stream.SendAsync(Report("other", "10.0.0.1:80", 1));
        Assert.True(ok.Accepted, ok.Error);
        await controller.TickAsync(time, Interval);
        Assert.Equal(0ul, controller.Snapshots.Get("checkout").Version);
        Assert.DoesNotContain(controller.Snapshots.Get("other").Endpoints, e => e.Endpoint == "10.0.0.9:8080");
    }

    [Fact]
    public async Task Report_OldOrDuplicateSequence_RefusedAndStateUnchanged()
    {
        var time = new FakeTimeProvider();
        await using var controller = await RunningController.StartAsync(time, $"--Robinhood:Control:Interval={Interval}");
        using var stream = new ReportStream(controller.Reporter);

        // Two services fed identical accepted reports; one also receives refused ones that would change it.
        foreach (var service in new[] { "twin-a", "twin-b" })
        {
            Assert.True((await stream.SendAsync(Report(service, "10.0.0.1:80", 5, cpu: 0.2))).Accepted);
            Assert.True((await stream.SendAsync(Report(service, "10.0.0.2:80", 5, cpu: 0.6))).Accepted);
        }

        var duplicate = await stream.SendAsync(Report("twin-b", "10.0.0.1:80", 5, cpu: 0.99));
        var old = await stream.SendAsync(Report("twin-b", "10.0.0.1:80", 4, cpu: 0.99));
        Assert.False(duplicate.Accepted);
        Assert.False(old.Accepted);
        Assert.StartsWith("sequence ", duplicate.Error, StringComparison.Ordinal);
        Assert.StartsWith("sequence ", old.Error, StringComparison.Ordinal);

        await controller.TickAsync(time, Interval);
        var a = controller.Snapshots.Get("twin-a");
        var b = controller.Snapshots.Get("twin-b");
        Assert.Equal(2, b.Endpoints.Count);
        Assert.Equal(a.Endpoints.Select(e => (e.Endpoint, e.Weight, e.Utilization)), b.Endpoints.Select(e => (e.Endpoint, e.Weight, e.Utilization)));

        // Still usable: a higher sequence is accepted.
        Assert.True((await stream.SendAsync(Report("twin-b", "10.0.0.1:80", 6))).Accepted);
    }

    [Fact]
    public async Task Report_NewStream_MayRestartSequences()
    {
        await using var controller = await RunningController.StartAsync(new FakeTimeProvider());
        using (var first = new ReportStream(controller.Reporter))
        {
            Assert.True((await first.SendAsync(Report("svc", "10.0.0.1:80", 10))).Accepted);
        }

        using var second = new ReportStream(controller.Reporter);
        var ack = await second.SendAsync(Report("svc", "10.0.0.1:80", 1));
        Assert.True(ack.Accepted, ack.Error);
    }

    [Fact]
    public async Task Report_Accepted_AckCarriesReportInterval()
    {
        await using var controller = await RunningController.StartAsync(new FakeTimeProvider(), "--Robinhood:Control:Interval=00:00:00.250");
        using var stream = new ReportStream(controller.Reporter);
        var ack = await stream.SendAsync(Report("svc", "[::1]:8080", 1));
        Assert.True(ack.Accepted, ack.Error);
        Assert.Equal(TimeSpan.FromMilliseconds(250), ack.ReportInterval.ToTimeSpan());
        Assert.Equal("svc", ack.Service);
        Assert.Equal("[::1]:8080", ack.Endpoint);
    }
}
