using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Robinhood.Client.Subscription;
using Robinhood.Client.Tests.Support;
using Robinhood.Controller;
using Robinhood.Controller.Publish;
using Robinhood.V1;

namespace Robinhood.Client.Tests.Subscription;

/// <summary>
/// <c>Robinhood:Client:ReadToken</c> against the real controller host with <c>Robinhood:Read:Token</c> set: the client
/// library and Robinhood.Proxy receive weights with it; without it the Watch is refused and nothing is learnt.
/// </summary>
/// <remarks>The refusal counter is process-wide; no other test of this project sets a read token.</remarks>
public sealed class ReadTokenTests
{
    private const string Token = "client-read-token-0123456789";
    private const string Service = "checkout";

    [Fact]
    public async Task Subscription_ControllerRequiresReadToken_WithItWeightsArrive_WithoutItRefusedAndNoneLearnt()
    {
        var (controller, grpc) = await Fleet.StartControllerAsync($"--Robinhood:Read:Token={Token}");
        await using var _ = controller;
        controller.Services.GetRequiredService<SnapshotCache>().Set([PublishedSnapshot.Of(WeightServer.Snapshot(Service, 3, ("10.0.0.1:80", 1000, EndpointState.Active), ("10.0.0.2:80", 3000, EndpointState.Active)))]);

        await using (var client = ClientHost.Build(grpc, s => s.AddRobinhoodClient(), settings: new Dictionary<string, string?> { ["Robinhood:Client:ReadToken"] = Token }))
        {
            var weights = client.GetRequiredService<WeightSubscription>().Service(Service);
            await ClientHost.WaitUntilAsync(() => weights.Current.Version == 3, "the snapshot through a Watch with the read token");
            Assert.Equal(4000u, weights.Current.Endpoints.Sum(e => e.Weight));
        }

        var refused = ControllerMetrics.ReadsRefused.WithLabels("watch", "missing").Value;
        await using (var client = ClientHost.Build(grpc, s => s.AddRobinhoodClient()))
        {
            var subscription = client.GetRequiredService<WeightSubscription>();
            var weights = subscription.Service(Service);
            await ClientHost.WaitUntilAsync(() => ControllerMetrics.ReadsRefused.WithLabels("watch", "missing").Value >= refused + 2, "two refused Watch attempts without the token");
            Assert.Equal(0ul, weights.Current.Version);
            Assert.False(subscription.IsConnected);
        }
    }

    [Fact]
    public async Task Proxy_ControllerRequiresReadToken_RoutesToThePublishedBackendWithTheToken()
    {
        var (controller, grpc) = await Fleet.StartControllerAsync($"--Robinhood:Read:Token={Token}");
        await using var _ = controller;
        await using var backend = await Backend.StartHttpAsync("b");
        controller.Services.GetRequiredService<SnapshotCache>().Set([PublishedSnapshot.Of(WeightServer.Snapshot(Service, 1, (backend.Endpoint, 1000, EndpointState.Active)))]);
        await using var proxy = ProxyAddresses.Build(grpc, Service, $"--Robinhood:Client:ReadToken={Token}");
        await proxy.StartAsync();
        var traffic = (await ProxyAddresses.OfAsync(proxy)).Traffic;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri(traffic, "/hello"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("b", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("short", "Robinhood:Client:ReadToken must be 16 to 4096 characters (got 5).")]
    [InlineData("token with spaces inside", "Robinhood:Client:ReadToken must be only A-Z a-z 0-9")]
    public void Options_BadReadToken_RefusedNamingTheKey(string token, string rule)
    {
        var error = Assert.Throws<OptionsValidationException>(() =>
            ClientHost.Build(new Uri("http://127.0.0.1:1"), s => s.AddRobinhoodClient(), settings: new Dictionary<string, string?> { ["Robinhood:Client:ReadToken"] = token }));
        Assert.Contains(rule, error.Message, StringComparison.Ordinal);
    }
}
