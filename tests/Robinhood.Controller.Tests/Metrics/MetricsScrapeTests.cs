using System.Globalization;
using Robinhood.Controller.Tests.Hosting;

namespace Robinhood.Controller.Tests.Metrics;

/// <summary>/metrics scraped over HTTP from a controller with the demo fleet reporting over real gRPC.</summary>
public sealed class MetricsScrapeTests(DemoFleetController fleet) : IClassFixture<DemoFleetController>
{
    private const int Endpoints = DemoFleetController.Endpoints;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private string Service => fleet.Service;

    [Fact]
    public async Task Scrape_FleetReporting_ShowsEveryFamilyWithSaneValues()
    {
        var scrape = await ScrapeUntilAsync(fleet.Controller, Converged);

        foreach (var family in new[]
        {
            "robinhood_controller_reports_total", "robinhood_controller_tick_duration_seconds",
            "robinhood_controller_snapshots_published_total", "robinhood_controller_watchers",
            "robinhood_controller_push_latency_seconds", "robinhood_controller_endpoint_weight",
            "robinhood_controller_endpoint_utilization_ratio", "robinhood_controller_endpoint_state",
            "robinhood_controller_endpoint_pid_term", "robinhood_controller_service_max_avg_utilization_ratio",
            "robinhood_controller_service_setpoint_ratio", "robinhood_controller_service_frozen",
        })
        {
            Assert.True(scrape.Types.ContainsKey(family), $"/metrics has no family {family}");
        }

        Assert.Equal("histogram", scrape.Types["robinhood_controller_tick_duration_seconds"]);
        Assert.Equal("histogram", scrape.Types["robinhood_controller_push_latency_seconds"]);
        Assert.Equal("counter", scrape.Types["robinhood_controller_reports_total"]);
    }

    [Fact]
    public async Task Scrape_FleetReporting_EndpointSeriesAreConsistent()
    {
        var scrape = await ScrapeUntilAsync(fleet.Controller, Converged);

        var weights = scrape.Series("robinhood_controller_endpoint_weight", ("service", Service));
        Assert.Equal(Endpoints, weights.Count);
        Assert.All(weights, w => Assert.True(w.Value > 0, $"weight not positive: {w}"));
        var mean = weights.Average(w => w.Value);
        Assert.InRange(mean, 990, 1010);
        Assert.True(weights.Select(w => w.Value).Distinct().Count() > 1, "every endpoint has the same weight: the loop is not at work on a heterogeneous fleet");

        var utilization = scrape.Series("robinhood_controller_endpoint_utilization_ratio", ("service", Service));
        Assert.Equal(weights.Select(w => w.Label("endpoint")).Order(), utilization.Select(u => u.Label("endpoint")).Order());
        Assert.All(utilization, u => Assert.InRange(u.Value, 0, 1));
        Assert.Contains(utilization, u => u.Value > 0);

        var states = scrape.Series("robinhood_controller_endpoint_state", ("service", Service));
        Assert.All(states, s => Assert.True(s.Value is 0 or 1, $"state gauge neither 0 nor 1: {s}"));
        foreach (var endpoint in states.GroupBy(s => s.Label("endpoint")))
        {
            var current = Assert.Single(endpoint, s => s.Value == 1);
            Assert.Equal("ACTIVE", current.Label("state"));
            Assert.True(endpoint.Count() >= 4, $"{endpoint.Key} exports only {endpoint.Count()} states");
        }

        Assert.Equal(Endpoints, states.Select(s => s.Label("endpoint")).Distinct().Count());

        var terms = scrape.Series("robinhood_controller_endpoint_pid_term", ("service", Service));
        Assert.Equal(Endpoints, terms.Select(t => t.Label("endpoint")).Distinct().Count());
        Assert.Equal(["derivative", "error", "feed_forward", "integral", "proportional"], terms.Select(t => t.Label("term")).Distinct().Order());
        Assert.All(terms, t => Assert.True(double.IsFinite(t.Value), $"PID term not finite: {t}"));
    }

    [Fact]
    public async Task Scrape_FleetReporting_ServiceAndLoopSeriesShowAConvergedLiveLoop()
    {
        var scrape = await ScrapeUntilAsync(fleet.Controller, Converged);

        var maxAvg = Assert.Single(scrape.Series("robinhood_controller_service_max_avg_utilization_ratio", ("service", Service))).Value;
        Assert.InRange(maxAvg, 1, 1.5 - 1e-9);
        var setpoint = Assert.Single(scrape.Series("robinhood_controller_service_setpoint_ratio", ("service", Service))).Value;
        Assert.InRange(setpoint, 0.05, 1);
        Assert.Equal(0, Assert.Single(scrape.Series("robinhood_controller_service_frozen", ("service", Service))).Value);
        Assert.True(Assert.Single(scrape.Series("robinhood_controller_snapshots_published_total", ("service", Service))).Value > 0);

        Assert.True(Sum(scrape, "robinhood_controller_tick_duration_seconds_count") > 0, "no tick observed");
        Assert.True(Sum(scrape, "robinhood_controller_tick_duration_seconds_sum") > 0, "ticks took no time");
        var infinity = Assert.Single(scrape.Series("robinhood_controller_tick_duration_seconds_bucket", ("le", "+Inf"))).Value;
        Assert.Equal(Sum(scrape, "robinhood_controller_tick_duration_seconds_count"), infinity);

        Assert.True(Sum(scrape, "robinhood_controller_push_latency_seconds_count") > 0, "no snapshot pushed to a watcher");
        Assert.True(Sum(scrape, "robinhood_controller_reports_total", ("outcome", "accepted")) > 0, "no report accepted");
        Assert.True(Sum(scrape, "robinhood_controller_watchers") >= 1, "the demo fleet's Watch stream is not counted");
    }

    private static double Sum(PrometheusText scrape, string name, params (string Label, string Value)[] labels) =>
        scrape.Series(name, labels).Sum(s => s.Value);

    /// <summary>Every endpoint ACTIVE and weighted, and max/avg in [1, 1.5): the loop has converged; otherwise why not.</summary>
    private string? Converged(PrometheusText scrape)
    {
        var active = scrape.Series("robinhood_controller_endpoint_state", ("service", Service), ("state", "ACTIVE"))
            .Count(s => s.Value == 1);
        if (active < Endpoints)
        {
            return $"{active} of {Endpoints} endpoints ACTIVE";
        }

        var maxAvg = scrape.Series("robinhood_controller_service_max_avg_utilization_ratio", ("service", Service));
        if (maxAvg.Count != 1 || maxAvg[0].Value is < 1 or >= 1.5)
        {
            return $"max/avg {string.Join(", ", maxAvg.Select(m => m.Value.ToString(CultureInfo.InvariantCulture)))}";
        }

        var terms = scrape.Series("robinhood_controller_endpoint_pid_term", ("service", Service)).Select(t => t.Label("endpoint")).Distinct().Count();
        return terms < Endpoints ? $"PID terms for {terms} of {Endpoints} endpoints" : null;
    }

    /// <summary>Scrapes /metrics until <paramref name="why"/> finds nothing missing (returns null), or fails at the deadline saying what was.</summary>
    private static async Task<PrometheusText> ScrapeUntilAsync(RunningController controller, Func<PrometheusText, string?> why)
    {
        var deadline = DateTime.UtcNow + Deadline;
        string? missing;
        PrometheusText scrape;
        do
        {
            using var response = await controller.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
            response.EnsureSuccessStatusCode();
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            scrape = PrometheusText.Parse(await response.Content.ReadAsStringAsync());
            missing = why(scrape);
            if (missing is null)
            {
                return scrape;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
        while (DateTime.UtcNow < deadline);

        Assert.Fail($"Not converged within {Deadline}: {missing}");
        return scrape;
    }
}
