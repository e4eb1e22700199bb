using Prometheus;
using Robinhood.Agent.Tests.Reporting;
using Robinhood.V1;

namespace Robinhood.Agent.Tests;

/// <summary>The embedded mode end to end: an ASP.NET Core app with the agent and the middleware, reporting to a real controller.</summary>
public sealed class EmbeddedAgentTests
{
    [Fact]
    public async Task AddRobinhoodAgent_RequestsHeldOpenInTheApp_ReportsThemInFlightThenTheirRate()
    {
        await using var controller = await TestController.StartAsync();
        controller.Ack = (report, _) => Task.FromResult(TestController.Accept(report, TimeSpan.FromMilliseconds(100)));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await LoopbackServer.StartAsync(
            builder => builder.Services.AddRobinhoodAgent(builder.Configuration),
            app =>
            {
                app.UseRobinhoodInFlight();
                app.MapGet("/work", async () =>
                {
                    await release.Task;
                    return "done";
                });
            },
            configuration: new Dictionary<string, string?>
            {
                ["Robinhood:Controller"] = controller.Address.ToString(),
                ["Robinhood:Agent:Service"] = "shop",
                ["Robinhood:Agent:Endpoint"] = "10.0.0.7:8080",
                ["Robinhood:Agent:MaxInFlight"] = "100",
            });
        using var http = new HttpClient { BaseAddress = app.Address() };

        var requests = Enumerable.Range(0, 2).Select(_ => http.GetStringAsync(new Uri("/work", UriKind.Relative))).ToArray();
        var busy = await NextReportAsync(controller, report => report.InFlight == 2);
        release.SetResult();
        await Task.WhenAll(requests);
        var idle = await NextReportAsync(controller, report => report.InFlight == 0 && report.RequestsPerSecond > 0);

        Assert.Equal(("shop", "10.0.0.7:8080", 100u), (busy.Service, busy.Endpoint, busy.MaxInFlight));
        Assert.InRange(busy.CpuUtilization, 0, 1);
        Assert.True(idle.Sequence > busy.Sequence);
        Assert.Contains("robinhood_agent_reports_sent_total", await ExportMetricsAsync(), StringComparison.Ordinal);
    }

    private static async Task<LoadReport> NextReportAsync(TestController controller, Func<LoadReport, bool> match)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < LoopbackServer.Timeout)
        {
            var report = (await controller.NextReportAsync()).Report;
            if (match(report))
            {
                return report;
            }
        }

        throw new TimeoutException("No matching report arrived.");
    }

    private static async Task<string> ExportMetricsAsync()
    {
        using var text = new MemoryStream();
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(text);
        return System.Text.Encoding.UTF8.GetString(text.ToArray());
    }
}
