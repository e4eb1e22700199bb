using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Robinhood.Client.Tests.Support;
using Robinhood.Proxy;

namespace Robinhood.Client.Tests.Proxy;

/// <summary>Robinhood.Proxy as it runs, configured only through the contract's keys, with real backends.</summary>
public sealed class ProxyAppTests : IAsyncLifetime
{
    private readonly List<Loopback> _backends = [];
    private readonly HttpClient _http = new();
    private WeightServer _controller = null!;
    private Loopback _grpcBackend = null!;
    private WebApplication _proxy = null!;
    private Uri _proxyAddress = null!;
    private Uri _grpcAddress = null!;
    private Uri _managementAddress = null!;

    public async Task InitializeAsync()
    {
        _controller = await WeightServer.StartAsync();
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            _backends.Add(await Backend.StartHttpAsync(name));
        }

        _grpcBackend = await Backend.StartGrpcAsync("g");
        _controller.Publish("web", 1, Weights(1000, 2000, 3000, 4000));
        _controller.Publish("empty", 1);
        _controller.Publish("grpc", 1, (_grpcBackend.Endpoint, 1000));
        _proxy = ProxyApp.Build(
        [
            $"--Robinhood:Controller={_controller.Address}",
            "--Robinhood:Proxy:DefaultService=web",
            "--Robinhood:Proxy:Routes:0:PathPrefix=/empty",
            "--Robinhood:Proxy:Routes:0:Service=empty",
            "--Robinhood:Proxy:Routes:1:Host=grpc.local",
            "--Robinhood:Proxy:Routes:1:Service=grpc",
            "--Kestrel:Endpoints:Http:Url=http://127.0.0.1:0",
            "--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:0",
            "--Kestrel:Endpoints:Grpc:Protocols=Http2",
            "--Kestrel:Endpoints:Management:Url=http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await _proxy.StartAsync();
        var addresses = await ProxyAddresses.OfAsync(_proxy);
        (_proxyAddress, _grpcAddress, _managementAddress) = (addresses.Traffic, addresses.Grpc, addresses.Management);
        await ClientHost.WaitUntilAsync(async () => await StatusAsync("/") == HttpStatusCode.OK, "the proxy to have web's endpoints");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _proxy.DisposeAsync();
        foreach (var backend in _backends.Append(_grpcBackend))
        {
            await backend.DisposeAsync();
        }

        await _controller.DisposeAsync();
    }

    [Fact]
    public async Task Requests_Thousands_SplitFollowsWeightsWithinThreePercentTvdAndNoneFail()
    {
        var counts = new Dictionary<string, int>();
        var failures = 0;
        var gate = new Lock();
        await Parallel.ForAsync(0, 4_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            using var response = await _http.GetAsync(new Uri(_proxyAddress, $"/work/{i}"), ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            lock (gate)
            {
                if (response.IsSuccessStatusCode)
                {
                    counts[body] = counts.GetValueOrDefault(body) + 1;
                }
                else
                {
                    failures++;
                }
            }
        });

        Assert.Equal(0, failures);
        var distance = Split.TotalVariation(counts, new Dictionary<string, uint> { ["a"] = 1000, ["b"] = 2000, ["c"] = 3000, ["d"] = 4000 });
        Assert.True(distance <= 0.03, $"total-variation distance {distance:P2}");
    }

    [Fact]
    public async Task Request_ServiceWithoutEndpoints_Answers503WithBodySayingSo()
    {
        using var response = await _http.GetAsync(new Uri(_proxyAddress, "/empty/x"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("service 'empty' has no endpoints", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MembershipChange_NewEndpointReceivesTraffic()
    {
        var e = await Backend.StartHttpAsync("e");
        try
        {
            _controller.Publish("web", 2, [.. Weights(1000, 1000, 1000, 1000), (e.Endpoint, 4000)]);
            await ClientHost.WaitUntilAsync(async () => await _http.GetStringAsync(new Uri(_proxyAddress, "/")) == "e", "e to receive traffic");

            var toE = 0;
            for (var i = 0; i < 800; i++)
            {
                toE += await _http.GetStringAsync(new Uri(_proxyAddress, "/")) == "e" ? 1 : 0;
            }

            Assert.InRange(toE, 380, 420);
        }
        finally
        {
            await e.DisposeAsync();
        }
    }

    [Fact]
    public async Task GrpcCall_ByHostRoute_ReachesHttp2Backend()
    {
        using var channel = GrpcChannel.ForAddress(_grpcAddress, new GrpcChannelOptions
        {
            HttpHandler = new HostRewrite("grpc.local") { InnerHandler = new SocketsHttpHandler() },
        });

        var reply = await new Echo.EchoClient(channel).WhoAsync(new WhoRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)));

        Assert.Equal("g", reply.Backend);
    }

    [Fact]
    public async Task Healthz_AndMetrics_AnswerOnTheManagementPort()
    {
        Assert.Equal("ok\n", await _http.GetStringAsync(new Uri(_managementAddress, "/healthz")));
        var metrics = await _http.GetStringAsync(new Uri(_managementAddress, "/metrics"));
        Assert.Contains("robinhood_client_snapshot_version", metrics, StringComparison.Ordinal);
        Assert.Contains("robinhood_client_picks_total{", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthzAndMetrics_OnTheTrafficPort_GoToTheUpstream()
    {
        Assert.Contains(await _http.GetStringAsync(new Uri(_proxyAddress, "/healthz")), new[] { "a", "b", "c", "d" });
        Assert.Contains(await _http.GetStringAsync(new Uri(_proxyAddress, "/metrics")), new[] { "a", "b", "c", "d" });
    }

    private async Task<HttpStatusCode> StatusAsync(string path)
    {
        using var response = await _http.GetAsync(new Uri(_proxyAddress, path));
        return response.StatusCode;
    }

    private (string, uint)[] Weights(params uint[] weights) =>
        _backends.Zip(weights, (b, w) => (b.Endpoint, w)).ToArray();

    /// <summary>Sends gRPC to the proxy's address with the Host header a route matches.</summary>
    private sealed class HostRewrite(string host) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Host = host;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
