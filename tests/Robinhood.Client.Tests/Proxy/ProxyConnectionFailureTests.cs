using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Robinhood.Client.Tests.Support;

namespace Robinhood.Client.Tests.Proxy;

/// <summary>
/// Robinhood.Proxy in front of a real backend that answers with the request's body and one that dies mid-request (it
/// receives the request and aborts the connection before answering) or an endpoint that refuses connections.
/// </summary>
public sealed class ProxyConnectionFailureTests : IAsyncLifetime
{
    private const string Service = "web";
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private WeightServer _controller = null!;
    private Loopback _ok = null!;
    private Loopback _aborting = null!;
    private WebApplication? _proxy;
    private int _answered;
    private int _aborted;

    public async Task InitializeAsync()
    {
        _controller = await WeightServer.StartAsync();
        _ok = await Loopback.StartAsync(HttpProtocols.Http1, _ => { }, app => app.Run(async context =>
        {
            using var body = new StreamReader(context.Request.Body);
            var text = await body.ReadToEndAsync(context.RequestAborted);
            Interlocked.Increment(ref _answered);
            await context.Response.WriteAsync($"ok:{text}", context.RequestAborted);
        }));
        _aborting = await Backend.StartAbortingAsync(() => Interlocked.Increment(ref _aborted));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        await _ok.DisposeAsync();
        await _aborting.DisposeAsync();
        await _controller.DisposeAsync();
    }

    [Fact]
    public async Task Get_BackendAbortsBeforeAnswering_RetriedOnTheOther()
    {
        var traffic = await StartProxyAsync(_aborting.Endpoint);

        for (var i = 0; i < 40; i++)
        {
            using var response = await _http.GetAsync(new Uri(traffic, "/item"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ok:", await response.Content.ReadAsStringAsync());
        }

        Assert.InRange(Volatile.Read(ref _aborted), 1, 40);
        Assert.Equal(40, Volatile.Read(ref _answered));
    }

    [Fact]
    public async Task Post_BackendAbortsAfterReceivingIt_NotRetriedTheClientGets502()
    {
        var traffic = await StartProxyAsync(_aborting.Endpoint);

        var badGateway = 0;
        for (var i = 0; i < 20; i++)
        {
            using var response = await _http.PostAsync(new Uri(traffic, "/orders"), new StringContent($"order-{i}"));
            if (response.StatusCode == HttpStatusCode.BadGateway)
            {
                badGateway++;
            }
            else
            {
                Assert.Equal($"ok:order-{i}", await response.Content.ReadAsStringAsync());
            }
        }

        // The backend that aborted may have run each POST it received: none was sent again.
        Assert.InRange(badGateway, 1, 19);
        Assert.Equal(badGateway, Volatile.Read(ref _aborted));
        Assert.Equal(20 - badGateway, Volatile.Read(ref _answered));
    }

    [Fact]
    public async Task Post_EndpointRefusesConnections_RetriedOnTheOtherWithItsBody()
    {
        var traffic = await StartProxyAsync($"127.0.0.1:{RecentRate.FreePort()}");

        for (var i = 0; i < 20; i++)
        {
            using var response = await _http.PostAsync(new Uri(traffic, "/orders"), new StringContent($"order-{i}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"ok:order-{i}", await response.Content.ReadAsStringAsync());
        }

        // Nothing reached the refusing endpoint: every POST was answered once, with its body, by the other.
        Assert.Equal(20, Volatile.Read(ref _answered));
    }

    /// <summary>Publishes the failing endpoint beside the answering one, starts the proxy and counts from then on.</summary>
    private async Task<Uri> StartProxyAsync(string failing)
    {
        _controller.Publish(Service, 1, (failing, 1000), (_ok.Endpoint, 1000));
        _proxy = ProxyAddresses.Build(_controller.Address, Service);
        await _proxy.StartAsync();
        var traffic = (await ProxyAddresses.OfAsync(_proxy)).Traffic;
        // Telling the proxy's endpoints apart sends a GET /healthz upstream: count from here.
        Volatile.Write(ref _answered, 0);
        Volatile.Write(ref _aborted, 0);
        return traffic;
    }
}
