using System.Threading.Channels;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Robinhood.V1;

namespace Robinhood.Client.Tests.Support;

/// <summary>A real WeightDiscovery server whose snapshots the test publishes.</summary>
public sealed class WeightServer : WeightDiscovery.WeightDiscoveryBase, IAsyncDisposable
{
    private readonly Dictionary<string, WeightSnapshot> _current = [];
    private readonly List<(Channel<WeightSnapshot> Channel, HttpContext Http)> _watchers = [];
    private readonly Lock _gate = new();
    private Loopback? _server;
    private int _watches;

    public Uri Address => _server!.Address;

    /// <summary>Watch calls accepted so far.</summary>
    public int Watches => Volatile.Read(ref _watches);

    public static async Task<WeightServer> StartAsync()
    {
        var weights = new WeightServer();
        weights._server = await Loopback.StartAsync(
            HttpProtocols.Http2,
            services => services.AddGrpc().Services.AddSingleton(weights),
            app => app.MapGrpcService<WeightServer>());
        return weights;
    }

    /// <summary>Sends a snapshot to every watcher of its service (and to later ones).</summary>
    public void Publish(string service, ulong version, params (string Endpoint, uint Weight)[] endpoints) =>
        Publish(Snapshot(service, version, endpoints.Select(e => (e.Endpoint, e.Weight, EndpointState.Active)).ToArray()));

    public void Publish(WeightSnapshot snapshot)
    {
        lock (_gate)
        {
            _current[snapshot.Service] = snapshot;
            foreach (var watcher in _watchers)
            {
                watcher.Channel.Writer.TryWrite(snapshot);
            }
        }
    }

    public static WeightSnapshot Snapshot(string service, ulong version, params (string Endpoint, uint Weight, EndpointState State)[] endpoints)
    {
        var snapshot = new WeightSnapshot { Service = service, Version = version };
        snapshot.Endpoints.AddRange(endpoints.Select(e => new EndpointWeight { Endpoint = e.Endpoint, Weight = e.Weight, State = e.State }));
        return snapshot;
    }

    /// <summary>Drops every stream the way a crashed controller would, then stops listening.</summary>
    public async Task StopAsync()
    {
        lock (_gate)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Http.Abort();
            }
        }

        await _server!.StopAsync();
    }

    public override async Task Watch(WatchRequest request, IServerStreamWriter<WeightSnapshot> responseStream, ServerCallContext context)
    {
        Interlocked.Increment(ref _watches);
        var channel = Channel.CreateUnbounded<WeightSnapshot>();
        var watcher = (channel, context.GetHttpContext());
        var services = request.Services.ToHashSet();
        lock (_gate)
        {
            _watchers.Add(watcher);
            foreach (var service in services)
            {
                channel.Writer.TryWrite(_current.GetValueOrDefault(service) ?? new WeightSnapshot { Service = service });
            }
        }

        try
        {
            await foreach (var snapshot in channel.Reader.ReadAllAsync(context.CancellationToken))
            {
                if (services.Contains(snapshot.Service))
                {
                    await responseStream.WriteAsync(snapshot, context.CancellationToken);
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(watcher);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
