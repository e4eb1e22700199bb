using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Control;
using Robinhood.Controller.Control;
using Robinhood.Controller.Dashboard;
using Robinhood.Controller.Tests.Hosting;

namespace Robinhood.Controller.Tests.Dashboard;

/// <summary><c>/api/services</c> is bounded and paged, over real Kestrel: offset and limit, numbers in names in reading order.</summary>
public sealed class ServicesApiPagingTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    [Fact]
    public async Task ServicesApi_OffsetAndLimit_PagesInNumericOrderWithTheTotal_BadOnesRefused()
    {
        var time = new FakeTimeProvider();
        await using var controller = await RunningController.StartAsync(time, "--Robinhood:Control:Interval=00:00:01");
        var fleet = controller.App.Services.GetRequiredService<Fleet>();
        foreach (var i in Enumerable.Range(1, 12).Reverse())
        {
            Assert.Null(fleet.Observe($"s-{i}", new EndpointLoad("10.0.0.1:80", "", 0.5, 1, 10, 0)));
        }

        await controller.TickAsync(time, TimeSpan.FromSeconds(1));

        var (first, total) = await PageAsync(controller, "?offset=0&limit=5");
        Assert.Equal(["s-1", "s-2", "s-3", "s-4", "s-5"], first);
        Assert.Equal(12, total);
        Assert.Equal(["s-11", "s-12"], (await PageAsync(controller, "?offset=10&limit=5")).Services);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => $"s-{i}"), (await PageAsync(controller, "")).Services);

        foreach (var bad in new[] { "?limit=0", $"?limit={FleetView.MaxPage + 1}", "?offset=-1", "?offset=x" })
        {
            using var response = await controller.Http.GetAsync(new Uri("/api/services" + bad, UriKind.Relative));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("limit one in 1..500", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ShardsApi_MoreServicesThanItLists_CountsThemAllAndNamesTheFirstInReadingOrder()
    {
        var time = new FakeTimeProvider();
        await using var controller = await RunningController.StartAsync(time, "--Robinhood:Control:Interval=00:00:01");
        var fleet = controller.App.Services.GetRequiredService<Fleet>();
        var count = DashboardEndpoints.MaxServicesPerShard + 20;
        foreach (var i in Enumerable.Range(1, count).Reverse())
        {
            Assert.Null(fleet.Observe($"s-{i}", new EndpointLoad("10.0.0.1:80", "", 0.5, 1, 10, 0)));
        }

        await controller.TickAsync(time, TimeSpan.FromSeconds(1));

        var view = await controller.Http.GetFromJsonAsync<ShardsView>(new Uri("/api/shards", UriKind.Relative), Json);
        var shard = Assert.Single(view!.Shards);
        Assert.Equal(count, shard.ServiceCount);
        Assert.Equal(Enumerable.Range(1, DashboardEndpoints.MaxServicesPerShard).Select(i => $"s-{i}"), shard.Services);
    }

    [Fact]
    public void ServiceOrder_DigitRunsAsNumbers_TotalOrder()
    {
        string[] sorted = ["a", "a-02", "a-2", "a-10", "a-10-b", "b-1", "b1"];
        Assert.Equal(sorted, sorted.Reverse().Order(ServiceOrder.Instance));
    }

    private static async Task<(IReadOnlyList<string> Services, int Total)> PageAsync(RunningController controller, string query)
    {
        using var response = await controller.Http.GetAsync(new Uri("/api/services" + query, UriKind.Relative));
        response.EnsureSuccessStatusCode();
        var services = await response.Content.ReadFromJsonAsync<List<ServiceView>>(Json);
        return ([.. services!.Select(s => s.Service)], int.Parse(response.Headers.GetValues("X-Total-Count").Single(), System.Globalization.CultureInfo.InvariantCulture));
    }
}
