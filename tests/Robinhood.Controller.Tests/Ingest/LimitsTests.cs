using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Control;
using Robinhood.Controller.Control;
using Robinhood.Controller.Publish;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Ingest;

/// <summary>What a caller can make the controller hold is bounded, over real Kestrel: refused past each limit, naming it.</summary>
public sealed class LimitsTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Report_PastServiceAndEndpointLimits_RefusedNamingTheLimit_KnownOnesStillAccepted()
    {
        await using var controller = await RunningController.StartAsync(new FakeTimeProvider(),
            "--Robinhood:Limits:MaxServices=3", "--Robinhood:Limits:MaxEndpointsPerService=2");
        using var stream = new RawReportStream(controller);
        foreach (var service in new[] { "a", "b", "c" })
        {
            Assert.True((await stream.SendAsync(Report(service, "10.0.0.1:80", 1))).Accepted);
        }

        var fourth = await stream.SendAsync(Report("d", "10.0.0.1:80", 1));
        Assert.False(fourth.Accepted);
        Assert.Contains("Robinhood:Limits:MaxServices", fourth.Error, StringComparison.Ordinal);
        Assert.StartsWith("service ", fourth.Error, StringComparison.Ordinal);

        Assert.True((await stream.SendAsync(Report("a", "10.0.0.2:80", 1))).Accepted);
        var third = await stream.SendAsync(Report("a", "10.0.0.3:80", 1));
        Assert.False(third.Accepted);
        Assert.Contains("Robinhood:Limits:MaxEndpointsPerService", third.Error, StringComparison.Ordinal);
        Assert.True((await stream.SendAsync(Report("a", "10.0.0.2:80", 2))).Accepted);
        Assert.Equal(3, controller.App.Services.GetRequiredService<Fleet>().Services.Count);
    }

    [Fact]
    public async Task Report_ManyIngestThreadsInventingServicesAtOnce_NeverPastMaxServices()
    {
        await using var controller = await RunningController.StartAsync(new FakeTimeProvider(), "--Robinhood:Limits:MaxServices=1000");
        var fleet = controller.App.Services.GetRequiredService<Fleet>();
        var accepted = 0;
        // As 20 streams inventing services do (the attack benchmark's run accepted 10,002 of a 10,000 limit).
        await Task.Run(() => Parallel.For(0, 8_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            if (fleet.Observe($"invented-{i}", new EndpointLoad("10.0.0.1:80", "", 0.5, 1, 10, 0)) is null)
            {
                Interlocked.Increment(ref accepted);
            }
        })).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1000, accepted);
        Assert.Equal(1000, fleet.Services.Count);
    }

    [Fact]
    public async Task Watch_MoreServicesThanAllowed_ResourceExhaustedNamingTheLimit()
    {
        await using var controller = await RunningController.StartAsync(new FakeTimeProvider(), "--Robinhood:Limits:MaxWatchServices=10");
        var request = new WatchRequest { ClientId = new string('c', 100_000) };
        request.Services.Add(Enumerable.Range(0, 11).Select(i => $"s{i}"));
        using var call = controller.Discovery.Watch(request, deadline: DateTime.UtcNow.AddSeconds(20));
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("Robinhood:Limits:MaxWatchServices", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_PastTheSubscriptionsOfAllWatchers_ResourceExhaustedUntilAWatcherLeaves()
    {
        await using var controller = await RunningController.StartAsync(new FakeTimeProvider(), "--Robinhood:Limits:MaxWatchSubscriptions=5");
        var cache = controller.App.Services.GetRequiredService<SnapshotCache>();
        using var first = Watch(controller, "a", "b", "c");
        Assert.True(await first.ResponseStream.MoveNext());

        using (var refused = Watch(controller, "c", "d", "e"))
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => refused.ResponseStream.MoveNext());
            Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
            Assert.Contains("Robinhood:Limits:MaxWatchSubscriptions", e.Status.Detail, StringComparison.Ordinal);
        }

        using var second = Watch(controller, "d", "e");
        Assert.True(await second.ResponseStream.MoveNext());
        Assert.Equal(5, cache.Subscriptions);

        first.Dispose();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (cache.Subscriptions != 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(2, cache.Subscriptions);
        using var third = Watch(controller, "c", "f", "g");
        Assert.True(await third.ResponseStream.MoveNext());
        Assert.Equal(5, cache.Subscriptions);
    }

    [Fact]
    public async Task Watch_ServiceAtItsEndpointLimitWithLongNames_ReachesAClientWithTheShippedLimits()
    {
        var time = new FakeTimeProvider();
        await using var controller = await RunningController.StartAsync(time, $"--Robinhood:Control:Interval={Interval}");
        var fleet = controller.App.Services.GetRequiredService<Fleet>();
        // 20,000 endpoints with 200-character hosts and zones: well past gRPC's default 4 MB.
        var host = new string('h', 190);
        for (var i = 0; i < 20_000; i++)
        {
            Assert.Null(fleet.Observe("big", new EndpointLoad($"{host}{i:D5}:8080", new string('z', 200), 0.5, 1, 10, 0)));
        }

        Assert.NotNull(fleet.Observe("big", new EndpointLoad("one-more:8080", "", 0.5, 1, 10, 0)));
        await controller.TickAsync(time, Interval);

        using var channel = GrpcChannel.ForAddress(controller.GrpcAddress, new GrpcChannelOptions { MaxReceiveMessageSize = MessageLimits.MaxSnapshotBytes });
        var request = new WatchRequest { ClientId = "big-client" };
        request.Services.Add("big");
        using var call = new WeightDiscovery.WeightDiscoveryClient(channel).Watch(request, deadline: DateTime.UtcNow.AddSeconds(60));
        Assert.True(await call.ResponseStream.MoveNext());
        var snapshot = call.ResponseStream.Current;
        Assert.Equal(20_000, snapshot.Endpoints.Count);
        Assert.True(snapshot.CalculateSize() > 4 * 1024 * 1024, $"{snapshot.CalculateSize()} bytes");
    }

    private static AsyncServerStreamingCall<WeightSnapshot> Watch(RunningController controller, params string[] services)
    {
        var request = new WatchRequest { ClientId = "limits-test" };
        request.Services.Add(services);
        return controller.Discovery.Watch(request, deadline: DateTime.UtcNow.AddSeconds(30));
    }

    private static byte[] Report(string service, string endpoint, ulong sequence) =>
        new LoadReport { Service = service, Endpoint = endpoint, CpuUtilization = 0.3, Sequence = sequence }.ToByteArray();
}
