using Microsoft.Extensions.Time.Testing;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Ingest;

/// <summary>A flood of refused reports over real Kestrel: every one acked and counted, a log line per reason per interval.</summary>
public sealed class RefusedReportLogTests
{
    private const int Flood = 500;

    [Fact]
    public async Task Report_FloodOfRefusals_OneLinePerReasonPerInterval_CountsSaid_MetricCountsEvery()
    {
        var time = new FakeTimeProvider();
        var logs = new CapturedLogs();
        await using var controller = await RunningController.StartAsync(time, logs, "--Robinhood:Limits:RefusedReportLogInterval=00:00:10");
        var outOfRange = ControllerMetrics.Reports.WithLabels("refused", "out_of_range").Value;
        using (var stream = new ReportStream(controller.Reporter))
        {
            for (var i = 1; i <= Flood; i++)
            {
                Assert.False((await stream.SendAsync(Report("flood", "10.0.0.1:80", cpu: 2, (ulong)i))).Accepted);
                Assert.False((await stream.SendAsync(Report("flood", "10.0.0.1:0", cpu: 0.5, (ulong)i))).Accepted);
            }

            Assert.Equal(2, Refused(logs).Count);
            Assert.Contains(Refused(logs), l => l.Contains("cpu_utilization must be a finite number", StringComparison.Ordinal) && l.Contains("(0 more out_of_range", StringComparison.Ordinal));
            Assert.Contains(Refused(logs), l => l.StartsWith("Report refused for flood/10.0.0.1:0: endpoint", StringComparison.Ordinal) && l.Contains("(0 more port", StringComparison.Ordinal));
            // Other tests refuse out_of_range reports in parallel: at least every one of ours is counted.
            Assert.True(ControllerMetrics.Reports.WithLabels("refused", "out_of_range").Value - outOfRange >= Flood);

            // Past the interval, the next refusal of a reason is logged with how many were not.
            time.Advance(TimeSpan.FromSeconds(10));
            Assert.False((await stream.SendAsync(Report("flood", "10.0.0.1:80", cpu: 2, Flood + 1))).Accepted);
            Assert.Equal(3, Refused(logs).Count);
            Assert.Contains($"({Flood - 1} more out_of_range on this stream", Refused(logs)[^1], StringComparison.Ordinal);
        }

        // The stream's end says the port refusals never logged.
        await Eventually.TrueAsync(() => logs.Messages.Any(l => l.StartsWith($"{Flood - 1} more reports refused port on the stream of ", StringComparison.Ordinal)), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(logs.Messages, l => l.Contains("more reports refused out_of_range", StringComparison.Ordinal));
    }

    private static List<string> Refused(CapturedLogs logs) =>
        [.. logs.Messages.Where(l => l.StartsWith("Report refused for flood/", StringComparison.Ordinal))];

    private static LoadReport Report(string service, string endpoint, double cpu, ulong sequence) =>
        new() { Service = service, Endpoint = endpoint, CpuUtilization = cpu, Sequence = sequence };
}
