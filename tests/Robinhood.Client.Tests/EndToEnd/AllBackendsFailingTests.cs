using Microsoft.Extensions.DependencyInjection;
using Robinhood.Client.Tests.Support;
using Xunit.Abstractions;

namespace Robinhood.Client.Tests.EndToEnd;

/// <summary>Every endpoint of a service fails at once: retries must add no more load than the retry budget allows.</summary>
public sealed class AllBackendsFailingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Requests = 1000;
    private readonly List<Loopback> _backends = [];
    private WeightServer _controller = null!;
    private int _received;

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
        var started = Environment.TickCount64;
        var failed = 0;
        await Parallel.ForAsync(0, Requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) =>
        {
            using var response = await http.GetAsync(new Uri("http://down/x"), ct);
            if ((int)response.StatusCode == 503)
            {
                Interlocked.Increment(ref failed);
            }
        });
        var seconds = Math.Ceiling((Environment.TickCount64 - started) / 1000.0);

        // Retries in any 10 s window are at most 20% of its requests + 3 per second: over a run of T seconds that is
        // at most 20% of all requests + 3 × (10 + T).
        var extra = Volatile.Read(ref _received) - Requests;
        var budget = (0.2 * Requests) + (3 * (10 + seconds));
        output.WriteLine($"{Requests} requests in {seconds} s, all failing: {extra} retries reached the backends ({100.0 * extra / Requests:F1}% extra load; budget {budget})");
        Assert.Equal(Requests, failed);
        Assert.InRange(extra, 200, budget);
    }
}
