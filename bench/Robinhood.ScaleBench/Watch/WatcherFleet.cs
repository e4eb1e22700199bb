using Grpc.Core;
using Grpc.Net.Client;
using Robinhood.V1;

namespace Robinhood.ScaleBench.Watch;

/// <summary>
/// Watch streams spread over a few HTTP/2 connections, watcher w on service w % services. Each delivery
/// is stamped on receipt with the same machine clock the controller stamps <c>computed_at</c> with.
/// </summary>
public sealed class WatcherFleet : IAsyncDisposable
{
    private readonly GrpcChannel[] _channels;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _running;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _allStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<Delivery>? _window;
    private int _started;
    private string? _failure;

    public WatcherFleet(string address, int watchers, int connections, IReadOnlyList<string> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _channels = [.. Enumerable.Range(0, Math.Min(connections, watchers)).Select(_ => GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            // Kestrel allows 100 streams per connection; past that the handler opens another.
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        }))];
        Count = watchers;
        _running = [.. Enumerable.Range(0, watchers).Select(w => WatchAsync(w, services[w % services.Count], watchers))];
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
        lock (_gate)
        {
            var window = _window ?? [];
            _window = null;
            return window;
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
                if (first)
                {
                    first = false;
                    if (Interlocked.Increment(ref _started) == watchers)
                    {
                        _allStarted.TrySetResult();
                    }

                    continue;
                }

                if (snapshot.ComputedAt is { } computed)
                {
                    var delivery = new Delivery(watcher, snapshot.Service, snapshot.Version, computed.ToDateTimeOffset(), received);
                    lock (_gate)
                    {
                        _window?.Add(delivery);
                    }
                }
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
