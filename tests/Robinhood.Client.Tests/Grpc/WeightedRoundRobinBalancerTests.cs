using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Robinhood.Client.Grpc;
using Robinhood.Client.Subscription;
using Robinhood.Client.Tests.Support;
using Robinhood.Tests;

namespace Robinhood.Client.Tests.Grpc;

/// <summary>Real gRPC calls through <c>robinhood:///echo</c> to real gRPC backends, weights from a real Watch server.</summary>
public sealed class WeightedRoundRobinBalancerTests : IAsyncLifetime
{
    private const string Service = "echo";
    private readonly List<Loopback> _backends = [];
    private WeightServer _controller = null!;
    private ServiceProvider _client = null!;
    private GrpcChannel _channel = null!;
    private Echo.EchoClient _echo = null!;

    public async Task InitializeAsync()
    {
        _controller = await WeightServer.StartAsync();
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            _backends.Add(await Backend.StartGrpcAsync(name));
        }

        _controller.Publish(Service, 1, Weights(1000, 2000, 3000, 4000));
        _client = ClientHost.Build(_controller.Address, services => services.AddRobinhoodGrpc());
        _channel = GrpcChannel.ForAddress($"robinhood:///{Service}", new GrpcChannelOptions
        {
            ServiceProvider = _client,
            Credentials = ChannelCredentials.Insecure,
        });
        _echo = new Echo.EchoClient(CallDeadline.On(_channel));
        await WarmUpAsync();
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _client.DisposeAsync();
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }

        await _controller.DisposeAsync();
    }

    [Fact]
    public async Task FirstCall_RightAfterStartup_SucceedsWithoutWaitForReady()
    {
        // A fresh process: its subscription has no snapshot yet when the call is made; the controller has weights.
        await using var client = ClientHost.Build(_controller.Address, services => services.AddRobinhoodGrpc());
        using var channel = GrpcChannel.ForAddress($"robinhood:///{Service}", new GrpcChannelOptions
        {
            ServiceProvider = client,
            Credentials = ChannelCredentials.Insecure,
        });

        var reply = await new Echo.EchoClient(channel).WhoAsync(new WhoRequest(), deadline: DateTime.UtcNow.AddSeconds(10));

        Assert.Contains(reply.Backend, new[] { "a", "b", "c", "d" });
    }

    [Fact]
    public async Task Calls_TenThousand_SplitByWeightWithinTwoPercent()
    {
        var counts = await CallAsync(10_000);

        Assert.Equal(10_000, counts.Values.Sum());
        var error = Split.MaxRelativeError(counts, Named(1000, 2000, 3000, 4000));
        Assert.True(error <= 0.02, $"split {Format(counts)} is {error:P2} off the weights");
    }

    [Fact]
    public async Task WeightChange_TakesEffectWithoutReconnecting()
    {
        var connectionsBefore = _backends.Select(b => b.Connections).ToArray();
        var applied = new TaskCompletionSource();
        var weights = _client.GetRequiredService<WeightSubscription>().Service(Service);
        weights.Changed += (_, table) =>
        {
            if (table.Version == 2)
            {
                applied.TrySetResult();
            }
        };

        _controller.Publish(Service, 2, Weights(4000, 3000, 2000, 1000));
        await applied.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var counts = await CallAsync(10_000);

        var error = Split.MaxRelativeError(counts, Named(4000, 3000, 2000, 1000));
        Assert.True(error <= 0.02, $"split {Format(counts)} is {error:P2} off the new weights");
        Assert.All(connectionsBefore, c => Assert.True(c > 0));
        Assert.Equal(connectionsBefore, _backends.Select(b => b.Connections));
    }

    [Fact]
    public async Task ControllerStopped_CallsKeepFlowingOnLastWeights()
    {
        var subscription = _client.GetRequiredService<WeightSubscription>();
        await _controller.StopAsync();
        await ClientHost.WaitUntilAsync(() => !subscription.IsConnected, "the client to notice the controller is gone");

        var counts = await CallAsync(4_000);

        Assert.Equal(4_000, counts.Values.Sum());
        var error = Split.MaxRelativeError(counts, Named(1000, 2000, 3000, 4000));
        Assert.True(error <= 0.02, $"split {Format(counts)} is {error:P2} off the last weights");
    }

    [Fact]
    public async Task Draining_EndpointGetsNoCalls()
    {
        _controller.Publish(WeightServer.Snapshot(
            Service,
            2,
            (_backends[0].Endpoint, 1000, V1.EndpointState.Active),
            (_backends[1].Endpoint, 1000, V1.EndpointState.Active),
            (_backends[2].Endpoint, 1000, V1.EndpointState.Active),
            (_backends[3].Endpoint, 1000, V1.EndpointState.Draining)));
        await ClientHost.WaitUntilAsync(
            () => _client.GetRequiredService<WeightSubscription>().Service(Service).Current.Version == 2,
            "snapshot 2");

        var counts = await CallAsync(3_000);

        Assert.False(counts.ContainsKey("d"));
        // Equal weights split evenly, though not to the call: calls continuing on different threads pick from
        // different stripes of the picker, each exact on its own.
        Assert.All(new[] { "a", "b", "c" }, n => Assert.InRange(counts[n], 990, 1010));
    }

    [Fact]
    public async Task BackendDown_OnlyReadySubchannelsPickedWithWeightsRenormalized()
    {
        await _backends[3].StopAsync();
        // Calls already on their way to d when it went may fail; wait until the balancer has dropped it.
        await ClientHost.WaitUntilAsync(() => Succeeds(), "calls to succeed without d");
        var consecutive = 0;
        await ClientHost.WaitUntilAsync(() => (consecutive = Succeeds() ? consecutive + 1 : 0) >= 50, "50 calls in a row to succeed without d");

        var counts = await CallAsync(3_000);

        Assert.False(counts.ContainsKey("d"));
        var error = Split.MaxRelativeError(counts, new Dictionary<string, uint> { ["a"] = 1000, ["b"] = 2000, ["c"] = 3000 });
        Assert.True(error <= 0.02, $"split {Format(counts)} is {error:P2} off a:b:c = 1:2:3");
    }

    private bool Succeeds()
    {
        try
        {
            _echo.Who(new WhoRequest());
            return true;
        }
        catch (RpcException)
        {
            return false;
        }
    }

    private async Task WarmUpAsync()
    {
        // Subchannels turn READY one by one; measure only once every backend has answered.
        var seen = new HashSet<string>();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (seen.Count < _backends.Count && DateTime.UtcNow < deadline)
        {
            seen.Add((await _echo.WhoAsync(new WhoRequest())).Backend);
        }

        Assert.Equal(_backends.Count, seen.Count);
    }

    private async Task<Dictionary<string, int>> CallAsync(int calls)
    {
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < calls; i++)
        {
            var backend = (await _echo.WhoAsync(new WhoRequest())).Backend;
            counts[backend] = counts.GetValueOrDefault(backend) + 1;
        }

        return counts;
    }

    private (string, uint)[] Weights(params uint[] weights) =>
        _backends.Zip(weights, (b, w) => (b.Endpoint, w)).ToArray();

    private static Dictionary<string, uint> Named(params uint[] weights) =>
        new[] { "a", "b", "c", "d" }.Zip(weights).ToDictionary(p => p.First, p => p.Second);

    private static string Format(Dictionary<string, int> counts) =>
        string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}"));
}
