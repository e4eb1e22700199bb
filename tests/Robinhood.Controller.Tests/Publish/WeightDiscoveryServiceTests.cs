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
