using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Robinhood.Client.Tests.Support;
using Xunit.Abstractions;

namespace Robinhood.Client.Tests.EndToEnd;

/// <summary>
/// Every endpoint of a service fails at once: through the HttpClient handler, the proxy and the gRPC balancer, retries
/// must add no more load than the retry budget allows (20% of the requests in any 10 s window + 3 per second).
/// </summary>
public sealed class AllBackendsFailingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Requests = 1000;
    private readonly List<Loopback> _backends = [];
    private WeightServer _controller = null!;
    private int _received;
    private long _started;

    public async Task InitializeAsync()
    {
        _controller = await WeightServer.StartAsync();
        for (var i = 0; i < 4; i++)
        {
            _backends.Add(await Backend.StartFailingAsync(() => Interlocked.Increment(ref _received)));
        }

        _controller.Publish("down", 1, [.. _backends.Select(b => (b.Endpoint, 1000u))]);
    }

    public async Task DisposeAsync()
    {
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }

        await _controller.DisposeAsync();
    }

    [Fact]
    public async Task HttpClientHandler_EveryBackendAnswers503_ExtraLoadStaysWithinTheBudget()
    {
        await using var client = ClientHost.Build(_controller.Address, services => services.AddHttpClient("down").AddRobinhood());
        var http = client.GetRequiredService<IHttpClientFactory>().CreateClient("down");
        var failed = await SendAsync(async ct =>
        {
            using var response = await http.GetAsync(new Uri("http://down/x"), ct);
            return (int)response.StatusCode == 503;
        });

        AssertWithinBudget(failed, Volatile.Read(ref _received), "HttpClient handler");
    }

    [Fact]
    public async Task Proxy_EveryBackendAnswers503_ExtraLoadStaysWithinTheBudget()
    {
        await using var proxy = ProxyAddresses.Build(_controller.Address, "down");
        await proxy.StartAsync();
        var traffic = (await ProxyAddresses.OfAsync(proxy)).Traffic;
        Volatile.Write(ref _received, 0); // the address probe's requests are not retries
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var failed = await SendAsync(async ct =>
        {
            using var response = await http.GetAsync(new Uri(traffic, "/x"), ct);
            return (int)response.StatusCode == 503;
        });

        AssertWithinBudget(failed, Volatile.Read(ref _received), "proxy");
    }

    [Fact]
    public async Task GrpcBalancer_EveryBackendAnswersUnavailable_ExtraLoadStaysWithinTheBudget()
    {
        var received = 0;
        for (var i = 0; i < 4; i++)
        {
            _backends.Add(await Backend.StartGrpcAsync($"g{i}", served: () => Interlocked.Increment(ref received), before: _ => throw new RpcException(new Status(StatusCode.Unavailable, "down"))));
        }

        _controller.Publish("down-grpc", 1, [.. _backends.Skip(4).Select(b => (b.Endpoint, 1000u))]);
        await using var client = ClientHost.Build(_controller.Address, services => services.AddRobinhoodGrpc());
        using var channel = RetryingChannel.For(client, "down-grpc");
        var echo = new Echo.EchoClient(channel);
        var failed = await SendAsync(async ct =>
        {
            try
            {
                await echo.WhoAsync(new WhoRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
                return false;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
            {
                return true;
            }
        });

        AssertWithinBudget(failed, Volatile.Read(ref received), "gRPC balancer");
    }

    /// <summary>The requests, eight at a time; returns how many failed.</summary>
    private async Task<int> SendAsync(Func<CancellationToken, Task<bool>> send)
    {
        _started = Environment.TickCount64;
        var failed = 0;
        await Parallel.ForAsync(0, Requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) =>
        {
            if (await send(ct))
            {
                Interlocked.Increment(ref failed);
            }
        });
        return failed;
    }

    private void AssertWithinBudget(int failed, int received, string path)
    {
        var seconds = Math.Ceiling((Environment.TickCount64 - _started) / 1000.0);

        // Retries in any 10 s window are at most 20% of its requests + 3 per second: over a run of T seconds that is
        // at most 20% of all requests + 3 × (10 + T).
        var extra = received - Requests;
        var budget = (0.2 * Requests) + (3 * (10 + seconds));
        output.WriteLine($"{path}: {Requests} requests in {seconds} s, all failing: {extra} retries reached the backends ({100.0 * extra / Requests:F1}% extra load; budget {budget})");
        Assert.Equal(Requests, failed);
        Assert.InRange(extra, 200, budget);
    }
}
