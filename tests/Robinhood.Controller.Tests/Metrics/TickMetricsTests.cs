using Microsoft.Extensions.DependencyInjection;
using Robinhood.Control;
using Robinhood.Controller.Control;
using Robinhood.Controller.Hosting;
using Robinhood.Controller.Leadership;

namespace Robinhood.Controller.Tests.Metrics;

/// <summary>
/// The gauges a scrape sets from each service's latest tick: an endpoint gone from the latest tick loses
/// its series at the next scrape. The controller host is built, not started, and this replica made leader.
/// </summary>
public sealed class TickMetricsTests
{
    [Fact]
    public async Task Export_EndpointGoneFromTheLatestTick_RemovesItsSeries()
    {
        await using var app = ControllerHost.Build(["--Logging:LogLevel:Default=Warning"]);
        app.Services.GetRequiredService<Ownership>().Acquire(0, 1);
        var metrics = app.Services.GetRequiredService<TickMetrics>();
        var service = $"gone-{Guid.NewGuid():N}"[..13];

        metrics.Record(Tick(service, "a:1", "b:1"));
        metrics.Export();
        Assert.Equal(["a:1", "b:1"], Endpoints(service));

        metrics.Record(Tick(service, "a:1"));
        metrics.Export();
        Assert.Equal(["a:1"], Endpoints(service));
        Assert.Equal(4, ControllerMetrics.EndpointState.GetAllLabelValues().Count(l => l[0] == service));
    }

    private static ServiceTick Tick(string service, params string[] endpoints) => new(
        new ServiceWeights(service, [.. endpoints.Select(e => new WeightedEndpoint(e, "", 1000, EndpointPhase.Active, 0.5))], Frozen: false),
        Setpoint: 0.5);

    private static string[] Endpoints(string service) =>
        [.. ControllerMetrics.EndpointWeight.GetAllLabelValues().Where(l => l[0] == service).Select(l => l[1]).Order(StringComparer.Ordinal)];
}
