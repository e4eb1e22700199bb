using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Robinhood.Client.Subscription;
using Robinhood.Client.Tests.Support;
using Robinhood.Tests;
using Robinhood.V1;
using Xunit.Abstractions;

namespace Robinhood.Client.Tests.EndToEnd;

/// <summary>
/// Four real backends, a real controller and agents that keep reporting: one backend is killed while its agent goes on
/// reporting it (idle, so the loop raises its weight: 3,707 against 100 each for the others 5 s later). Every data-plane
/// path ejects it and retries around it, also when it comes back from its ejection holding 92% of the weight: no GET
/// fails through the HTTP paths in the 15 s after the kill, at most 0.5% of gRPC calls in the first 10 s and none in the
/// 5 s after; restarted on its port, it takes traffic within 30 s.
/// </summary>
public sealed class DeadBackendTests(ITestOutputHelper output)
{
    private static readonly string[] Names = ["b0", "b1", "b2", "b3"];

    [Fact]
    public async Task Proxy_BackendKilledWhileItsAgentReports_NoneFailAndItReturnsAfterRestart()
    {
        await using var fleet = await Fleet.StartAsync("shop", grpc: false);
        await using var proxy = ProxyAddresses.Build(fleet.ControllerGrpc, "shop");
        await proxy.StartAsync();
        var address = (await ProxyAddresses.OfAsync(proxy)).Traffic;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        await KillAndRestartAsync(fleet, "shop", async ct =>
        {
            using var response = await http.GetAsync(new Uri(address, "/buy"), ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            return response.IsSuccessStatusCode && Names.Contains(body);
        }, allowedShare: 0);
    }

    [Fact]
    public async Task HttpClientHandler_BackendKilledWhileItsAgentReports_NoneFailAndItReturnsAfterRestart()
    {
        await using var fleet = await Fleet.StartAsync("shop", grpc: false);
        await using var client = ClientHost.Build(fleet.ControllerGrpc, services => services.AddHttpClient("shop", http => http.Timeout = TimeSpan.FromSeconds(10)).AddRobinhood());
        var http = client.GetRequiredService<IHttpClientFactory>().CreateClient("shop");

        await KillAndRestartAsync(fleet, "shop", async ct =>
        {
            using var response = await http.GetAsync(new Uri("http://shop/buy"), ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            return response.IsSuccessStatusCode && Names.Contains(body);
        }, allowedShare: 0);
    }

    [Fact]
    public async Task GrpcBalancer_BackendKilledWhileItsAgentReports_FewFailThenNoneAndItReturnsAfterRestart()
    {
        await using var fleet = await Fleet.StartAsync("echo", grpc: true);
        await using var client = ClientHost.Build(fleet.ControllerGrpc, services => services.AddRobinhoodGrpc());
        using var channel = RetryingChannel.For(client, "echo");
        var echo = new Echo.EchoClient(CallDeadline.On(channel));

        await KillAndRestartAsync(fleet, "echo", async ct =>
        {
            var reply = await echo.WhoAsync(new WhoRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
            return Names.Contains(reply.Backend);
        }, allowedShare: 0.005);
    }

    /// <param name="allowedShare">The share of the requests completed in the 10 s after the kill that may fail.</param>
    private async Task KillAndRestartAsync(Fleet fleet, string service, Func<CancellationToken, Task<bool>> send, double allowedShare)
    {
        await using var watcher = ClientHost.Build(fleet.ControllerGrpc, services => services.AddRobinhoodClient());
        var weights = watcher.GetRequiredService<WeightSubscription>().Service(service);
        await using var traffic = Traffic.Start(send);

        // Converged: every endpoint ACTIVE under the loop, and every backend has served requests.
        await ClientHost.WaitUntilAsync(
            () => weights.Published.Endpoints.Count == 4
                && weights.Published.Endpoints.All(e => e.State == EndpointState.Active && e.Weight > 0)
                && fleet.Backends.All(b => b.Served > 20),
            "the loop to converge over four ACTIVE endpoints that all serve",
            timeoutMs: 30_000);

        var victim = fleet.Backends[0];
        var killedAt = Environment.TickCount64;
        await victim.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(15));
        var first = traffic.Between(killedAt, killedAt + 10_000);
        var after = traffic.Between(killedAt + 10_000, killedAt + 15_000);
        var victimWeight = weights.Published.WeightOf(victim.Endpoint);

        var servedBefore = victim.Served;
        var restartedAt = Environment.TickCount64;
        await victim.RestartAsync();
        await ClientHost.WaitUntilAsync(() => victim.Served > servedBefore + 10, "the restarted backend to take traffic", timeoutMs: 30_000);
        var backAfter = TimeSpan.FromMilliseconds(Environment.TickCount64 - restartedAt);

        output.WriteLine(
            $"{service}: first 10 s after the kill {first.Failures} of {first.Requests} failed ({100.0 * first.Failures / Math.Max(1, first.Requests):F2}%); " +
            $"next 5 s {after.Failures} of {after.Requests}; the dead endpoint's published weight then {victimWeight}; restarted, it took traffic after {backAfter.TotalSeconds:F1} s");
        // Enough requests that the dead endpoint was picked before, during and after its ejection (a loaded machine sends ~100).
        Assert.True(first.Requests >= 50, $"only {first.Requests} requests in the 10 s after the kill");
        Assert.True(first.Failures <= first.Requests * allowedShare, $"{first.Failures} of {first.Requests} failed in the 10 s after the kill");
        Assert.True(after.Requests >= 25, $"only {after.Requests} requests in the 5 s after that");
        Assert.Equal(0, after.Failures);
    }
}
