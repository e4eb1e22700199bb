using System.Net;
using System.Text.Json;
using Robinhood.Controller.Tests.ClosedLoop;
using Robinhood.Tests;
using Robinhood.V1;
using Xunit.Abstractions;

namespace Robinhood.Controller.Tests.Admin;

/// <summary>
/// Rollout modes and overrides through the admin API of a running controller, closed around the simulator's
/// 24-node fleet (capacities ~4× apart) over the wire contract, one fake-clock tick per step.
/// </summary>
public sealed class RolloutTests(ITestOutputHelper output)
{
    private const int Settle = 100;

    private static Task<WireFleet> StartAsync() => WireFleet.StartAsync(args: [AdminApi.TokenArg]);

    private static HttpRequestMessage Request(HttpMethod method, string path, object? body = null, string? token = AdminApi.Token) =>
        AdminApi.Request(method, WireFleet.Service, path, body, token);

    private static async Task<JsonElement> SendAsync(WireFleet fleet, HttpMethod method, string path, object? body = null)
    {
        using var response = await fleet.Http.SendAsync(Request(method, path, body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The computed weight of every endpoint, from the admin API (the last tick's).</summary>
    private static async Task<Dictionary<string, uint>> ComputedAsync(WireFleet fleet)
    {
        var service = await SendAsync(fleet, HttpMethod.Get, "");
        return service.GetProperty("endpoints").EnumerateArray()
            .ToDictionary(e => e.GetProperty("endpoint").GetString()!, e => e.GetProperty("computed").GetUInt32());
    }

    /// <summary>Steps until every published weight is what <paramref name="expected"/> says of the computed ones; returns the steps taken.</summary>
    private static async Task<int> StepsUntilAsync(WireFleet fleet, Func<uint, uint> expected, int most = 2)
    {
        for (var step = 1; step <= most; step++)
        {
            await fleet.StepAsync();
            var computed = await ComputedAsync(fleet);
            if (fleet.Latest.Endpoints.All(e => e.Weight == expected(computed[e.Endpoint])))
            {
                return step;
            }
        }

        return int.MaxValue;
    }

    [Fact]
    public async Task ShadowBlendActive_PublishedWeightsFollowTheModeWithinTwoTicks_NoSpikeAbove1_10()
    {
        // At ~30% mean CPU, so that equal weights do not saturate the small nodes: a saturated node's queue takes
        // ticks to drain whatever the weights, and would hide whether the computed weights were right.
        await using var fleet = await StartAsync();
        fleet.DemandFactor = 0.55;
        for (var t = 0; t < Settle; t++)
        {
            await fleet.StepAsync();
        }

        await SendAsync(fleet, HttpMethod.Put, "/rollout", new { mode = "Shadow" });
        Assert.InRange(await StepsUntilAsync(fleet, _ => 1000), 1, 2);
        var shadow = new List<double>();
        for (var t = 0; t < 60; t++)
        {
            await fleet.StepAsync();
            shadow.Add(fleet.MaxOverAverage());
            Assert.All(fleet.Latest.Endpoints, e => Assert.Equal(1000u, e.Weight));
        }

        var service = await SendAsync(fleet, HttpMethod.Put, "/rollout", new { mode = "Blend", fraction = 0.5 });
        Assert.Equal("Blend", service.GetProperty("mode").GetString());
        Assert.InRange(await StepsUntilAsync(fleet, c => (uint)Math.Round((0.5 * c) + 500)), 1, 2);
        var blend = new List<double>();
        for (var t = 0; t < 20; t++)
        {
            await fleet.StepAsync();
            blend.Add(fleet.MaxOverAverage());
        }

        await SendAsync(fleet, HttpMethod.Put, "/rollout", new { mode = "Active" });
        var steps = await StepsUntilAsync(fleet, c => c);
        // A step serves with the weights published at the end of the one before: the first served by Active weights is the next.
        var active = new List<double>();
        for (var t = 0; t < 40; t++)
        {
            await fleet.StepAsync();
            active.Add(fleet.MaxOverAverage());
        }

        output.WriteLine($"active max/avg per tick: {string.Join(" ", active.Take(8).Select(a => a.ToString("F3")))}");
        output.WriteLine($"max/avg: shadow {shadow.Average():F3}, blend 0.5 {blend.Average():F3} (worst {blend.Max():F3}), active worst {active.Max():F3} from the first tick, weights followed Active in {steps} tick(s)");
        Assert.InRange(steps, 1, 2);
        Assert.True(shadow.Average() > 1.3, $"equal weights on a 4× fleet should be far from balance: {shadow.Average():F3}");
        Assert.True(blend.Max() < shadow.Min(), $"blending in control must only improve on equal weights: blend worst {blend.Max():F3}, shadow best {shadow.Min():F3}");
        Assert.True(active.Max() <= 1.10, $"after switching to Active max/avg reached {active.Max():F3}");
    }

    [Fact]
    public async Task DrainPinRelease_TakeEffectAtTheNextTick()
    {
        await using var fleet = await StartAsync();
        for (var t = 0; t < Settle; t++)
        {
            await fleet.StepAsync();
        }

        var drained = fleet.Address(3);
        var pinned = fleet.Address(4);
        await SendAsync(fleet, HttpMethod.Put, $"/endpoints/{drained}/drain");
        await SendAsync(fleet, HttpMethod.Put, $"/endpoints/{pinned}/pin", new { weight = 1500 });
        await fleet.StepAsync();

        Assert.Equal(EndpointState.Draining, fleet.Endpoint(3)!.State);
        Assert.Equal(0u, fleet.Endpoint(3)!.Weight);
        Assert.Equal(1500u, fleet.Endpoint(4)!.Weight);
        await fleet.StepAsync();
        Assert.Equal(0, fleet.Model.Samples[3].Arrivals);
        Assert.True(fleet.MaxOverAverage(i => i is not (3 or 4)) <= 1.10, "the rest stays balanced around the drained and the pinned");

        var service = await SendAsync(fleet, HttpMethod.Get, "");
        var shown = service.GetProperty("endpoints").EnumerateArray().ToDictionary(e => e.GetProperty("endpoint").GetString()!);
        Assert.True(shown[drained].GetProperty("drained").GetBoolean());
        Assert.Equal(1500u, shown[pinned].GetProperty("pinnedWeight").GetUInt32());

        await SendAsync(fleet, HttpMethod.Delete, $"/endpoints/{drained}/override");
        await SendAsync(fleet, HttpMethod.Delete, $"/endpoints/{pinned}/override");
        await fleet.StepAsync();
        await fleet.StepAsync();
        Assert.Equal(EndpointState.Warming, fleet.Endpoint(3)!.State);
        Assert.True(fleet.Endpoint(3)!.Weight > 0);
        for (var t = 0; t < 80; t++)
        {
            await fleet.StepAsync();
        }

        Assert.Equal(EndpointState.Active, fleet.Endpoint(3)!.State);
        Assert.True(fleet.MaxOverAverage() <= 1.05, $"back in the loop, max/avg {fleet.MaxOverAverage():F3}");
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("wrong-token-of-the-same-length-00", HttpStatusCode.Unauthorized)]
    public async Task Admin_WithoutTheToken_RefusedAndChangesNothing(string? token, HttpStatusCode status)
    {
        await using var fleet = await StartAsync();
        await fleet.StepAsync();

        using var response = await fleet.Http.SendAsync(Request(HttpMethod.Put, "/rollout", new { mode = "Shadow" }, token));
        await fleet.StepAsync();

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("Active", (await SendAsync(fleet, HttpMethod.Get, "")).GetProperty("mode").GetString());
    }

    [Theory]
    [InlineData("/rollout", "{}", "mode is required")]
    [InlineData("/rollout", "{\"mode\":\"Blend\"}", "fraction is required")]
    [InlineData("/rollout", "{\"mode\":\"Blend\",\"fraction\":1.5}", "fraction must be a finite number in [0, 1]")]
    [InlineData("/endpoints/ep-0001:8080/pin", "{\"weight\":0}", "weight is required: an integer in [1, 100000]")]
    public async Task Admin_BadBody_RefusedNamingTheFieldAndTheRule(string path, string body, string rule)
    {
        await using var fleet = await StartAsync();
        await fleet.StepAsync();
        var request = Request(HttpMethod.Put, path);
        request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var response = await fleet.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(rule, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("Active", (await SendAsync(fleet, HttpMethod.Get, "")).GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Admin_UnknownEndpoint_NotFound()
    {
        await using var fleet = await StartAsync();
        await fleet.StepAsync();

        using var response = await fleet.Http.SendAsync(Request(HttpMethod.Put, "/endpoints/nobody:1/drain"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("'nobody:1' is not a member of service 'checkout'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
