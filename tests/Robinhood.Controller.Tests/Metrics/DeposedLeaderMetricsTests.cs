using Microsoft.Extensions.DependencyInjection;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Tests.Hosting;

namespace Robinhood.Controller.Tests.Metrics;

/// <summary>
/// The per-service and per-endpoint gauges are set at scrape time from the latest tick; a replica that
/// no longer leads stops ticking, and its next scrape must not show the last values it computed.
/// </summary>
public sealed class DeposedLeaderMetricsTests : IAsyncLifetime
{
    private readonly DemoFleetController _fleet = new();

    public Task InitializeAsync() => _fleet.InitializeAsync();

    public Task DisposeAsync() => _fleet.DisposeAsync();

    [Fact]
    public async Task Scrape_AfterLosingTheLead_ShowsNoSeriesOfTheService()
    {
        var controller = _fleet.Controller;
        var service = ("service", _fleet.Service);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        PrometheusText scrape;
        do
        {
            await controller.Loop.NextTickAsync().WaitAsync(TimeSpan.FromSeconds(10));
            scrape = await ScrapeAsync(controller);
        }
        while (scrape.Series("robinhood_controller_endpoint_weight", service).Count < DemoFleetController.Endpoints && DateTime.UtcNow < deadline);
        Assert.Equal(DemoFleetController.Endpoints, scrape.Series("robinhood_controller_endpoint_weight", service).Count);
        Assert.Single(scrape.Series("robinhood_controller_service_max_avg_utilization_ratio", service));

        controller.App.Services.GetRequiredService<Ownership>().Release(0, "test: another replica leads");
        // A tick already under way when the lead was lost may still record; the one after it does not.
        await controller.Loop.NextTickAsync().WaitAsync(TimeSpan.FromSeconds(10));
        scrape = await ScrapeAsync(controller);

        foreach (var family in new[]
        {
            "robinhood_controller_endpoint_weight", "robinhood_controller_endpoint_utilization_ratio",
            "robinhood_controller_endpoint_state", "robinhood_controller_endpoint_pid_term",
            "robinhood_controller_service_max_avg_utilization_ratio", "robinhood_controller_service_setpoint_ratio",
            "robinhood_controller_service_frozen",
        })
        {
            Assert.Empty(scrape.Series(family, service));
        }
    }

    private static async Task<PrometheusText> ScrapeAsync(RunningController controller)
    {
        using var response = await controller.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }
}
