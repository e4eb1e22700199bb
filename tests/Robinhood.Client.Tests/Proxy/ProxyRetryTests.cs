using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Robinhood.Client.Subscription;
using Robinhood.Client.Tests.Support;
using Xunit.Abstractions;

namespace Robinhood.Client.Tests.Proxy;

/// <summary>Robinhood.Proxy in front of real backends, one of them alive but answering 503 to everything.</summary>
public sealed class ProxyRetryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<Loopback> _backends = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private WeightServer _controller = null!;
    private WebApplication _proxy = null!;
    private Uri _traffic = null!;
    private int _failing;

    public async Task InitializeAsync()
    {
        _controller = await WeightServer.StartAsync();
        _backends.Add(await Backend.StartFailingAsync(() => Interlocked.Increment(ref _failing)));
        _backends.Add(await Backend.StartHttpAsync("a"));
        _backends.Add(await Backend.StartHttpAsync("b"));
        _controller.Publish("web", 1, [.. _backends.Select(b => (b.Endpoint, 1000u))]);
        _proxy = ProxyAddresses.Build(_controller.Address, "web");
        await _proxy.StartAsync();
        _traffic = (await ProxyAddresses.OfAsync(_proxy)).Traffic;
        // Telling the proxy's endpoints apart sends a probe or two upstream (an HTTP/2 one fails on HTTP/1.1 backends
        // and counts toward ejection): count from here.
        Volatile.Write(ref _failing, 0);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _proxy.DisposeAsync();
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }

        await _controller.DisposeAsync();
    }

    [Fact]
    public async Task Get_OneBackendAnswers503_RetriedOnAnotherUntilItIsEjected()
    {
        var answers = new List<(HttpStatusCode Status, string Body)>();
        await Parallel.ForAsync(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (_, ct) =>
        {
            using var response = await _http.GetAsync(new Uri(_traffic, "/buy"), ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            lock (answers)
            {
                answers.Add((response.StatusCode, body));
            }
        });
        var reachedFailing = Volatile.Read(ref _failing);
        var ejected = _proxy.Services.GetRequiredService<WeightSubscription>().Service("web").Ejected;
        output.WriteLine($"200 GETs: {answers.Count(a => a.Status == HttpStatusCode.OK)} answered 200; the 503 backend received {reachedFailing}; ejected {string.Join(", ", ejected)} (the 503 backend is {_backends[0].Endpoint})");

        // Every 503 was retried on a healthy backend, and the client saw only their answers.
        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.OK && a.Body is "a" or "b", $"{a.Status} '{a.Body}'"));
        // Five consecutive failures eject it (the default; the address probe's may be one of them), with four requests
        // in flight at once.
        Assert.Equal([_backends[0].Endpoint], ejected);
        Assert.InRange(reachedFailing, 1, 5 + 4);

        for (var i = 0; i < 50; i++)
        {
            using var response = await _http.GetAsync(new Uri(_traffic, "/buy"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(reachedFailing, Volatile.Read(ref _failing));
    }

    [Fact]
    public async Task Post_BackendAnswers503_NotRetriedTheClientSeesThe503()
    {
        var seen503 = 0;
        for (var i = 0; i < 30; i++)
        {
            using var response = await _http.PostAsync(new Uri(_traffic, "/order"), new StringContent("one"));
            seen503 += response.StatusCode == HttpStatusCode.ServiceUnavailable ? 1 : 0;
        }

        // Not idempotent: every 503 the backend gave reached the client, none was sent again.
        Assert.InRange(seen503, 1, 5);
        Assert.Equal(seen503, Volatile.Read(ref _failing));
    }
}
