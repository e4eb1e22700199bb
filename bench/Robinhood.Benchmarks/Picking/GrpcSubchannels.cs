using System.Reflection;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Robinhood.Benchmarks.Picking;

/// <summary>
/// Real <see cref="Subchannel"/>s from a real channel (never connected), so Grpc.Net.Client's own
/// round-robin picker and ours pick over the very same objects.
/// </summary>
internal static class GrpcSubchannels
{
    public static async Task<(GrpcChannel Channel, IReadOnlyList<Subchannel> Subchannels)> CreateAsync(int count)
    {
        var addresses = Enumerable.Range(0, count).Select(i => new BalancerAddress("127.0.0.1", 50_000 + i)).ToArray();
        var capture = new CaptureFactory();
        var services = new ServiceCollection()
            .AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => addresses))
            .AddSingleton<LoadBalancerFactory>(capture)
            .BuildServiceProvider();
        var channel = GrpcChannel.ForAddress("static:///bench", new GrpcChannelOptions
        {
            ServiceProvider = services,
            Credentials = ChannelCredentials.Insecure,
            ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new LoadBalancingConfig(CaptureFactory.PolicyName) } },
        });
        using var stop = new CancellationTokenSource();
        var connect = channel.ConnectAsync(stop.Token);
        var subchannels = await capture.Subchannels.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await connect.ContinueWith(_ => { }, TaskScheduler.Default);
        return (channel, subchannels);
    }

    /// <summary>Grpc.Net.Client's internal RoundRobinPicker over the given subchannels.</summary>
    public static SubchannelPicker GrpcRoundRobinPicker(IReadOnlyList<Subchannel> subchannels)
    {
        var type = typeof(RoundRobinBalancerFactory).Assembly.GetType("Grpc.Net.Client.Balancer.RoundRobinPicker", throwOnError: true)!;
        return (SubchannelPicker)Activator.CreateInstance(
            type,
            BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic,
            binder: null,
            args: [subchannels, 0L],
            culture: null)!;
    }

    private sealed class CaptureFactory : LoadBalancerFactory
    {
        public const string PolicyName = "capture";

        public TaskCompletionSource<IReadOnlyList<Subchannel>> Subchannels { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override string Name => PolicyName;

        public override LoadBalancer Create(LoadBalancerOptions options) => new Capture(options.Controller, Subchannels);
    }

    private sealed class Capture(IChannelControlHelper controller, TaskCompletionSource<IReadOnlyList<Subchannel>> result) : LoadBalancer
    {
        public override void UpdateChannelState(ChannelState state) =>
            result.TrySetResult([.. state.Addresses!.Select(a => controller.CreateSubchannel(new SubchannelOptions([a])))]);

        public override void RequestConnection()
        {
        }
    }
}
