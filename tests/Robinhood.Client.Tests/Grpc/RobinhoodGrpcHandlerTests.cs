using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
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
    public async Task Calls_OneBackendNeverAnswers_EachAttemptThereEndsAtPerTryTimeoutAndIsRetriedOnTheOther()
    {
        var hangs = await StartAsync("hangs", context => Task.Delay(Timeout.InfiniteTimeSpan, context.CancellationToken));
        await StartAsync("ok");
        _controller.Publish(Service, 1, [.. _backends.Select(b => (b.Endpoint, 1000u))]);
        // The client's clock: only the test moves it, so no attempt on "ok" times out however slow the machine is, and
        // one on "hangs" times out exactly when the test says 300 ms have passed (the call's deadline is real time).
        var time = new FakeTimeProvider();
        await using var client = ClientHost.Build(_controller.Address, services => services.AddSingleton<TimeProvider>(time).AddRobinhoodGrpc(), settings: new Dictionary<string, string?>
        {
            ["Robinhood:Retry:PerTryTimeout"] = "00:00:00.300",
        });
        using var channel = RetryingChannel.For(client, Service);
        var echo = new Echo.EchoClient(channel);
        var weights = client.GetRequiredService<WeightSubscription>().Service(Service);

        var timedOut = 0;
        for (var i = 0; i < 40; i++)
        {
            var (hung, answered) = (Received("hangs"), Received("ok"));
            using var call = echo.WhoAsync(new WhoRequest(), deadline: DateTime.UtcNow.AddSeconds(30));
            await ClientHost.WaitUntilAsync(
                () => call.ResponseAsync.IsCompleted || Received("hangs") > hung,
                "the call to be answered or to reach the backend that never answers",
                timeoutMs: 30_000);
            if (Received("hangs") > hung)
            {
                // Nothing but the per-try timeout can end this attempt before the call's deadline.
                Assert.False(call.ResponseAsync.IsCompleted, $"call {i} ended before its attempt on the hanging backend timed out");
                time.Advance(TimeSpan.FromMilliseconds(300));
                timedOut++;
            }

            Assert.Equal("ok", (await call.ResponseAsync).Backend);
            Assert.Equal(answered + 1, Received("ok"));
            Assert.InRange(Received("hangs"), hung, hung + 1);
        }

        output.WriteLine($"40 calls, {timedOut} attempts timed out on the hanging backend, each retried on the other; ejected: {string.Join(", ", weights.Ejected)}");
        // Five timeouts in a row eject it (the default Consecutive5xx); the ejection lasts 5 s of a clock moved 1.5 s.
        Assert.Equal(5, timedOut);
        Assert.Equal(5, Received("hangs"));
        Assert.Equal([hangs.Endpoint], weights.Ejected);
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
