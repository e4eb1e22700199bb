using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Robinhood.Client.Subscription;
using Robinhood.Client.Tests.Support;
using Robinhood.Tests;
using Robinhood.V1;
using Xunit.Abstractions;

namespace Robinhood.Client.Tests.EndToEnd;

/// <summary>
/// An operator drains an endpoint through the controller's admin API while four real backends serve through
/// Robinhood.Proxy: once the proxy holds the drain, the drained backend gets no new request; released, it serves again.
/// </summary>
public sealed class DrainTests(ITestOutputHelper output)
{
    private static readonly string[] Names = ["b0", "b1", "b2", "b3"];

    [Fact]
    public async Task Proxy_EndpointDrainedThroughAdminApi_GetsNoNewRequestsUntilReleased()
    {
        await using var fleet = await Fleet.StartAsync("shop", grpc: false, controllerArgs: AdminApi.TokenArg);
        await using var proxy = ProxyAddresses.Build(fleet.ControllerGrpc, "shop");
        await proxy.StartAsync();
        var address = (await ProxyAddresses.OfAsync(proxy)).Traffic;
        var seen = proxy.Services.GetRequiredService<WeightSubscription>().Service("shop");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var admin = new HttpClient { BaseAddress = fleet.ControllerHttp, Timeout = TimeSpan.FromSeconds(10) };
        async Task<bool> BuyAsync(CancellationToken ct)
        {
            using var response = await http.GetAsync(new Uri(address, "/buy"), ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            return response.IsSuccessStatusCode && Names.Contains(body);
        }

        await using (Traffic.Start(BuyAsync))
        {
            await ClientHost.WaitUntilAsync(
                () => seen.Current.Endpoints.Count == 4
                    && seen.Current.Endpoints.All(e => e.State == EndpointState.Active && e.Weight > 0)
                    && fleet.Backends.All(b => b.Served > 20),
                "the proxy to hold four ACTIVE endpoints that all serve",
                timeoutMs: 30_000);
        }

        var drained = fleet.Backends[1];
        var asked = Stopwatch.StartNew();
        using (var response = await admin.SendAsync(AdminApi.Request(HttpMethod.Put, "shop", $"/endpoints/{drained.Endpoint}/drain")))
        {
            Assert.True(response.IsSuccessStatusCode, $"drain: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        await ClientHost.WaitUntilAsync(() => seen.Current.WeightOf(drained.Endpoint) == 0, "the proxy to hold the drain", timeoutMs: 10_000);
        var heldAfter = asked.Elapsed;
        var before = drained.Served;
        var others = fleet.Backends.Where(b => b != drained).Sum(b => b.Served);
        const int requests = 400;
        for (var i = 0; i < requests; i++)
        {
            Assert.True(await BuyAsync(CancellationToken.None), $"request {i} through the proxy failed");
        }

        var drainedServed = drained.Served - before;
        var othersServed = fleet.Backends.Where(b => b != drained).Sum(b => b.Served) - others;
        Assert.Equal(EndpointState.Draining, seen.Current.Endpoints.Single(e => e.Address == drained.Endpoint).State);

        using (var response = await admin.SendAsync(AdminApi.Request(HttpMethod.Delete, "shop", $"/endpoints/{drained.Endpoint}/override")))
        {
            Assert.True(response.IsSuccessStatusCode, $"release: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        await ClientHost.WaitUntilAsync(() => seen.Current.WeightOf(drained.Endpoint) > 0, "the proxy to hold the release", timeoutMs: 10_000);
        var released = drained.Served;
        for (var i = 0; i < requests; i++)
        {
            Assert.True(await BuyAsync(CancellationToken.None), $"request {i} after the release failed");
        }

        output.WriteLine($"drain held by the proxy {heldAfter.TotalMilliseconds:F0} ms after the admin call; then {drainedServed} of {requests} requests reached the drained backend, {othersServed} the others; released, it served {drained.Served - released} of {requests}");
        Assert.Equal(0, drainedServed);
        Assert.Equal(requests, othersServed);
        Assert.True(drained.Served - released > 0, "the released backend serves again");
    }
}
