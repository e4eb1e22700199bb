using Grpc.Core;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Publish;

/// <summary>Watch over real Kestrel on loopback.</summary>
public sealed class WeightDiscoveryServiceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static WeightSnapshot Snapshot(string service, ulong version, int endpoints = 1)
    {
        var s = new WeightSnapshot { Service = service, Version = version };
        for (var i = 0; i < endpoints; i++)
        {
            s.Endpoints.Add(new EndpointWeight { Endpoint = $"10.0.{i / 250}.{i % 250}:8080", Weight = 1000, State = EndpointState.Active });
        }

        return s;
    }

    [Fact]
    public async Task Watch_UnknownService_SendsEmptyVersionZeroAtOnce()
    {
        await using var controller = await RunningController.StartAsync();
        using var call = controller.Discovery.Watch(new WatchRequest { Services = { "nobody", "nobody-else" }, ClientId = "test" });
        var seen = new List<WeightSnapshot>();
        for (var i = 0; i < 2; i++)
        {
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Timeout));
            seen.Add(call.ResponseStream.Current);
        }

        Assert.All(seen, s => Assert.Equal(0ul, s.Version));
        Assert.Equal(["nobody", "nobody-else"], seen.Select(s => s.Service).Order());
    }

    [Fact]
    public async Task Watch_Published_StreamsRisingVersions()
    {
        await using var controller = await RunningController.StartAsync();
        controller.Snapshots.Set([Snapshot("svc", 10)]);
        using var call = controller.Discovery.Watch(new WatchRequest { Services = { "svc" } });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(10ul, call.ResponseStream.Current.Version);

        controller.Snapshots.Set([Snapshot("svc", 11)]);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal(11ul, call.ResponseStream.Current.Version);
    }

    [Fact]
    public async Task Watch_SlowWatcher_NeverBlocksPublishingAndGetsTheLatest()
    {
        await using var controller = await RunningController.StartAsync();
        using var call = controller.Discovery.Watch(new WatchRequest { Services = { "svc" } });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Timeout));

        // ~2,000 snapshots of ~200 endpoints each (MBs, far past HTTP/2 flow-control windows) while nobody reads.
        const ulong last = 2000;
        await Task.Run(() =>
        {
            for (ulong v = 1; v <= last; v++)
            {
                controller.Snapshots.Set([Snapshot("svc", v, endpoints: 200)]);
            }
        }).WaitAsync(Timeout);

        var received = 0;
        ulong version = 0;
        while (version < last)
        {
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Timeout));
            Assert.True(call.ResponseStream.Current.Version > version, "versions must strictly rise");
            version = call.ResponseStream.Current.Version;
            received++;
        }

        Assert.True(received < 1000, $"a slow watcher should skip superseded snapshots, got {received}");
    }

    [Fact]
    public async Task Watch_ManyStreamsAtTheNameLimit_Disconnect_ControllerHoldsNoWatcherOrName()
    {
        const int streams = 20;
        const int names = 1_000;
        await using var controller = await RunningController.StartAsync();
        var cache = controller.Snapshots;
        cache.Set([Snapshot("shared", 1)]);
        // Each stream at the default MaxWatchServices: one service they all watch, 999 nobody reports into.
        var watches = Enumerable.Range(0, streams).Select(w =>
        {
            var cancel = new CancellationTokenSource();
            var request = new WatchRequest { ClientId = $"w{w}", Services = { "shared" } };
            request.Services.Add(Enumerable.Range(1, names - 1).Select(i => $"unknown-{w}-{i}"));
            return (Call: controller.Discovery.Watch(request, cancellationToken: cancel.Token), Cancel: cancel);
        }).ToList();
        try
        {
            await Task.WhenAll(watches.Select(async w =>
            {
                for (var read = 0; read < names; read++)
                {
                    Assert.True(await w.Call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Timeout));
                }
            }));
            Assert.Equal(streams, cache.WatcherCount);
            Assert.Equal((streams * (names - 1)) + 1, cache.WatchedServiceCount);

            // Half of them go: their names leave the cache, the shared one stays for the others, who still get it.
            foreach (var w in watches[..(streams / 2)])
            {
                await w.Cancel.CancelAsync();
            }

            await Eventually.TrueAsync(() => cache.WatcherCount == streams / 2 && cache.WatchedServiceCount == (streams / 2 * (names - 1)) + 1, Timeout);
            cache.Set([Snapshot("shared", 2)]);
            foreach (var w in watches[(streams / 2)..])
            {
                Assert.True(await w.Call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Timeout));
                Assert.Equal(("shared", 2ul), (w.Call.ResponseStream.Current.Service, w.Call.ResponseStream.Current.Version));
            }

            // The rest go: nothing a watcher made the controller hold is left.
            foreach (var w in watches[(streams / 2)..])
            {
                await w.Cancel.CancelAsync();
            }

            await Eventually.TrueAsync(() => cache.WatcherCount == 0 && cache.WatchedServiceCount == 0, Timeout);
        }
        finally
        {
            foreach (var w in watches)
            {
                w.Call.Dispose();
                w.Cancel.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("bad name")]
    public async Task Watch_InvalidServiceName_InvalidArgumentNamingField(string service)
    {
        await using var controller = await RunningController.StartAsync();
        using var call = controller.Discovery.Watch(new WatchRequest { Services = { "ok", service } });
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.StartsWith("services[1] ", e.Status.Detail, StringComparison.Ordinal);
    }
}
