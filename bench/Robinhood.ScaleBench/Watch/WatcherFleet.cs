using System.Collections.Concurrent;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;
using Robinhood.V1;

namespace Robinhood.ScaleBench.Watch;

/// <summary>
/// Watch streams, or xDS streams (ADS, one ClusterLoadAssignment each, every response ACKed), spread over
/// a few HTTP/2 connections, watcher w on service w % services. Each delivery is stamped on receipt with
/// the same machine clock the controller stamps <c>computed_at</c> with; an xDS response carries only the
/// snapshot's version, whose <c>computed_at</c> one more Watch stream per service learns.
/// </summary>
public sealed class WatcherFleet : IAsyncDisposable
{
    private readonly GrpcChannel[] _channels;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _running;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _allStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<(string Service, ulong Version), DateTimeOffset> _computedAt = new();
    private List<Delivery>? _window;
    private int _started;
    private string? _failure;

    public WatcherFleet(string address, int watchers, int connections, IReadOnlyList<string> services, bool xds = false)
    {
        ArgumentNullException.ThrowIfNull(services);
        _channels = [.. Enumerable.Range(0, Math.Min(connections, watchers)).Select(_ => GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            // Kestrel allows 100 streams per connection; past that the handler opens another.
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        }))];
        Count = watchers;
        _running = xds
            ? [.. Enumerable.Range(0, watchers).Select(w => XdsAsync(w, services[w % services.Count], watchers)), .. services.Select(LearnComputedAtAsync)]
            : [.. Enumerable.Range(0, watchers).Select(w => WatchAsync(w, services[w % services.Count], watchers))];
    }

    public int Count { get; }

    public string? Failure => _failure;

    /// <summary>Completes when every watcher has its first (current) snapshot.</summary>
    public Task AllStarted => _allStarted.Task;

    public void BeginWindow()
    {
        lock (_gate)
        {
            _window = [];
        }
    }

    public IReadOnlyList<Delivery> EndWindow()
    {
        List<Delivery> window;
        lock (_gate)
        {
            window = _window ?? [];
            _window = null;
        }

        // xDS deliveries learn their computed_at from the Watch stream that saw the same version.
        return [.. window
            .Select(d => d.ComputedAt != default ? d : d with { ComputedAt = _computedAt.GetValueOrDefault((d.Service, d.Version)) })
            .Where(d => d.ComputedAt != default)];
    }

    /// <summary>A watcher's first delivery (the current state) counts it as started; later ones go into the open window.</summary>
    private void Received(ref bool first, int watchers, Delivery? delivery)
    {
        if (first)
        {
            first = false;
            if (Interlocked.Increment(ref _started) == watchers)
            {
                _allStarted.TrySetResult();
            }
        }
        else if (delivery is { } d)
        {
            lock (_gate)
            {
                _window?.Add(d);
            }
        }
    }

    private async Task XdsAsync(int watcher, string service, int watchers)
    {
        var stop = _stop.Token;
        try
        {
            var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(_channels[watcher % _channels.Length]);
            using var call = client.StreamAggregatedResources(cancellationToken: stop);
            const string type = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
            await call.RequestStream.WriteAsync(new DiscoveryRequest
            {
                TypeUrl = type,
                ResourceNames = { service },
                Node = new Envoy.Config.Core.V3.Node { Id = $"scale-xds-{watcher}" },
            }, stop);
            var first = true;
            while (await call.ResponseStream.MoveNext(stop))
            {
                var received = DateTimeOffset.UtcNow;
                var response = call.ResponseStream.Current;
                await call.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = type, ResourceNames = { service }, VersionInfo = response.VersionInfo, ResponseNonce = response.Nonce }, stop);
                Received(ref first, watchers, new Delivery(watcher, service, ulong.Parse(response.VersionInfo, System.Globalization.CultureInfo.InvariantCulture), default, received));
            }
        }
        catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or RpcException)
        {
            // Stopped.
        }
        catch (RpcException e)
        {
            _failure ??= $"xDS stream {watcher}: {e.Status}";
            _allStarted.TrySetException(e);
        }
    }

    private async Task LearnComputedAtAsync(string service)
    {
        var stop = _stop.Token;
        try
        {
            var client = new WeightDiscovery.WeightDiscoveryClient(_channels[0]);
            using var call = client.Watch(new WatchRequest { Services = { service }, ClientId = "scale-computed-at" }, cancellationToken: stop);
            while (await call.ResponseStream.MoveNext(stop))
            {
                if (call.ResponseStream.Current is { ComputedAt: { } computed } snapshot)
                {
                    _computedAt[(snapshot.Service, snapshot.Version)] = computed.ToDateTimeOffset();
                }
            }
        }
        catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or RpcException)
        {
            // Stopped.
        }
    }

    private async Task WatchAsync(int watcher, string service, int watchers)
    {
        var stop = _stop.Token;
        try
        {
            var client = new WeightDiscovery.WeightDiscoveryClient(_channels[watcher % _channels.Length]);
            using var call = client.Watch(new WatchRequest { Services = { service }, ClientId = $"scale-watcher-{watcher}" }, cancellationToken: stop);
            var first = true;
            while (await call.ResponseStream.MoveNext(stop))
            {
                var received = DateTimeOffset.UtcNow;
                var snapshot = call.ResponseStream.Current;
                Received(ref first, watchers, snapshot.ComputedAt is { } computed
                    ? new Delivery(watcher, snapshot.Service, snapshot.Version, computed.ToDateTimeOffset(), received)
                    : null);
            }
        }
        catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or RpcException)
        {
            // Stopped.
        }
        catch (RpcException e)
        {
            _failure ??= $"watcher {watcher}: {e.Status}";
            _allStarted.TrySetException(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        _stop.Dispose();
    }
}

/// <summary>One snapshot as one watcher received it.</summary>
public readonly record struct Delivery(int Watcher, string Service, ulong Version, DateTimeOffset ComputedAt, DateTimeOffset ReceivedAt);
