using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Robinhood.Client.Grpc;
using Robinhood.Client.Subscription;
using Robinhood.Client.Tests.Support;
using Xunit.Abstractions;

namespace Robinhood.Client.Tests.Grpc;

/// <summary>
/// Real gRPC calls through <c>robinhood:///echo</c> with <see cref="RobinhoodGrpcHandler"/> to real gRPC backends that
/// fail as a live server does (UNAVAILABLE in the trailers, or trailers-only), one killed, one that hangs.
/// </summary>
public sealed class RobinhoodGrpcHandlerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Service = "echo";
    private readonly List<Loopback> _backends = [];
    private readonly Dictionary<string, int> _received = [];
    private WeightServer _controller = null!;

    public async Task InitializeAsync() => _controller = await WeightServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }

        await _controller.DisposeAsync();
    }

    [Fact]
    public async Task Calls_UnavailableFromLiveServersAndOneKilled_TheFailingEjectedAndTheRestSucceed()
    {
        var inTrailers = await StartAsync("trailers", async context =>
        {
            // Headers first, so the status travels in the trailers (the case the channel's own tracker cannot see).
            await context.WriteResponseHeadersAsync([]);
            throw new RpcException(new Status(StatusCode.Unavailable, "shutting down"));
        });
        var trailersOnly = await StartAsync("trailers-only", _ => throw new RpcException(new Status(StatusCode.Unavailable, "overloaded")));
        var killed = await StartAsync("killed");
        await StartAsync("d");
        await StartAsync("e");
        _controller.Publish(Service, 1, [.. _backends.Select(b => (b.Endpoint, 1000u))]);

        await using var client = ClientHost.Build(_controller.Address, services => services.AddRobinhoodGrpc(), settings: new Dictionary<string, string?>
        {
            ["Robinhood:OutlierDetection:MaxEjectionPercent"] = "60",
            ["Robinhood:OutlierDetection:BaseEjectionTime"] = "00:01:00",
            ["Robinhood:OutlierDetection:MaxEjectionTime"] = "00:01:00",
        });
        using var channel = RetryingChannel.For(client, Service);
        var echo = new Echo.EchoClient(channel);
        var weights = client.GetRequiredService<WeightSubscription>().Service(Service);

        var failed = 0;
        async Task CallAsync(int calls, params string[] answering) =>
            await Parallel.ForAsync(0, calls, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (_, ct) =>
            {
                try
                {
                    var reply = await echo.WhoAsync(new WhoRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
                    Assert.Contains(reply.Backend, answering);
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
                {
                    Interlocked.Increment(ref failed);
                }
            });

        await CallAsync(150, "killed", "d", "e");
        var failedBeforeKill = failed;
        await killed.KillAsync();
        await CallAsync(150, "d", "e");
        var receivedByFailing = Received("trailers") + Received("trailers-only");
        output.WriteLine($"300 calls ({failedBeforeKill} failed before the kill, {failed} in all); the UNAVAILABLE servers received {Received("trailers")} and {Received("trailers-only")}; ejected: {string.Join(", ", weights.Ejected.Order())}");

        Assert.Subset(weights.Ejected.ToHashSet(), new HashSet<string> { inTrailers.Endpoint, trailersOnly.Endpoint });
        // Five consecutive failures eject (the default), with four calls in flight at once.
        Assert.InRange(receivedByFailing, 10, 2 * (5 + 4));
        // The trailers case fails its calls (its headers commit them, so they are not retried) and so may a call in
        // flight on the killed backend; the others are retried elsewhere.
        Assert.InRange(failed, 1, 5 + 4 + 4);

        // Ejected (or, the killed one, out of the READY set): nothing reaches them any more, and every call succeeds.
        var failedBefore = failed;
        await CallAsync(100, "d", "e");
        Assert.Equal(failedBefore, failed);
        Assert.Equal(receivedByFailing, Received("trailers") + Received("trailers-only"));
    }

    [Fact]
    public async Task Calls_OneBackendHangs_PerTryTimeoutRetriesOnTheOtherWithinTheCallsDeadline()
    {
        await StartAsync("hangs", context => Task.Delay(TimeSpan.FromSeconds(30), context.CancellationToken));
        await StartAsync("ok");
        _controller.Publish(Service, 1, [.. _backends.Select(b => (b.Endpoint, 1000u))]);
        await using var client = ClientHost.Build(_controller.Address, services => services.AddRobinhoodGrpc(), settings: new Dictionary<string, string?>
        {
            ["Robinhood:Retry:PerTryTimeout"] = "00:00:00.300",
        });
        using var channel = RetryingChannel.For(client, Service);
        var echo = new Echo.EchoClient(channel);

        // The first call also connects and waits for the first snapshot; the ones after it are timed.
        Assert.Equal("ok", (await echo.WhoAsync(new WhoRequest(), deadline: DateTime.UtcNow.AddSeconds(10))).Backend);
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 20; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var reply = await echo.WhoAsync(new WhoRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
            var took = Stopwatch.GetElapsedTime(started);
            slowest = took > slowest ? took : slowest;
            Assert.Equal("ok", reply.Backend);
        }

        output.WriteLine($"21 calls, the hanging backend received {Received("hangs")}, slowest call {slowest.TotalMilliseconds:F0} ms");
        // Each attempt on the hanging backend ends after 300 ms and the retry answers: far below the 10 s deadline.
        Assert.True(slowest < TimeSpan.FromSeconds(3), $"the slowest call took {slowest}");
        Assert.InRange(Received("hangs"), 1, 6);
    }

    private async Task<Loopback> StartAsync(string name, Func<ServerCallContext, Task>? before = null)
    {
        lock (_received)
        {
            _received[name] = 0;
        }

        var backend = await Backend.StartGrpcAsync(name, served: () =>
        {
            lock (_received)
            {
                _received[name]++;
            }
        }, before: before);
        _backends.Add(backend);
        return backend;
    }

    private int Received(string name)
    {
        lock (_received)
        {
            return _received[name];
        }
    }
}
