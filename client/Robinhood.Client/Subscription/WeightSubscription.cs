using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Robinhood.V1;

namespace Robinhood.Client.Subscription;

/// <summary>
/// One Watch stream to the controller for every service this process asked about. It fails static:
/// while the controller is unreachable the last accepted snapshot keeps serving (and, past
/// <see cref="WatchSettings.MaxSnapshotAge"/>, equal weights), and it reconnects with jittered backoff.
/// </summary>
public sealed class WeightSubscription : IAsyncDisposable
{
    private readonly WeightDiscovery.WeightDiscoveryClient _client;
    private readonly RobinhoodClientOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _logger;
    private readonly Backoff _backoff;
    private readonly ConcurrentDictionary<string, ServiceWeights> _services = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Task? _loop;
    private CancellationTokenSource? _call;
    private ITimer? _ageTimer;
    private DateTimeOffset? _lostAt;
    private bool _connected;

    /// <summary>Creates the subscription; the stream opens when the first service is asked for.</summary>
    public WeightSubscription(
        WeightDiscovery.WeightDiscoveryClient client,
        IOptions<RobinhoodClientOptions> options,
        TimeProvider time,
        Random random,
        ILogger<WeightSubscription> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options.Value;
        _time = time;
        _random = random;
        _logger = logger;
        _backoff = new Backoff(_options.Client.ReconnectDelay, _options.Client.MaxReconnectDelay, random);
    }

    /// <summary>True while the Watch stream delivers snapshots.</summary>
    public bool IsConnected => Volatile.Read(ref _connected);

    /// <summary>The live weights of a service; the first call for a service adds it to the Watch stream.</summary>
    public ServiceWeights Service(string service)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        if (_services.TryGetValue(service, out var weights))
        {
            return weights;
        }

        lock (_gate)
        {
            if (_services.TryGetValue(service, out weights))
            {
                return weights;
            }

            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            weights = new ServiceWeights(service, _options, _time, _random, _logger);
            _services[service] = weights;
            // Watch takes the whole set at once: reopen the stream with the new service in it.
            _call?.Cancel();
            _loop ??= Task.Run(() => RunAsync(_stopping.Token));
            return weights;
        }
    }

    /// <summary>Closes the stream; tables stay readable.</summary>
    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            _stopping.Cancel();
            loop = _loop;
            _ageTimer?.Dispose();
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            CancellationTokenSource call;
            string[] services;
            lock (_gate)
            {
                call = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                _call = call;
                services = [.. _services.Keys];
            }

            Exception? failure = null;
            try
            {
                await WatchAsync(services, call.Token).ConfigureAwait(false);
            }
            catch (Exception) when (call.IsCancellationRequested)
            {
                // Reopened for a new service, or stopping: neither is a failure.
                continue;
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            finally
            {
                lock (_gate)
                {
                    _call = null;
                }

                call.Dispose();
            }

            ConnectionLost();
            var delay = _backoff.Next();
            if (failure is null)
            {
                SubscriptionLog.WatchEnded(_logger, _options.Controller, delay);
            }
            else
            {
                SubscriptionLog.WatchFailed(_logger, _options.Controller, delay, failure);
            }

            try
            {
                await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task WatchAsync(string[] services, CancellationToken cancellationToken)
    {
        SubscriptionLog.Watching(_logger, string.Join(", ", services), _options.Controller);
        var request = new WatchRequest { ClientId = _options.Client.ClientId };
        request.Services.AddRange(services);
        var headers = _options.Client.ReadToken is { } token ? new Metadata { { "authorization", BearerToken.Header(token) } } : null;
        using var stream = _client.Watch(request, headers, cancellationToken: cancellationToken);
        await foreach (var snapshot in stream.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            ConnectionHealthy();
            Apply(snapshot);
        }
    }

    /// <summary>Accepts a snapshot only if it is newer than the table in use (or restores one that fell back).</summary>
    internal void Apply(WeightSnapshot snapshot)
    {
        if (!_services.TryGetValue(snapshot.Service, out var weights))
        {
            SubscriptionLog.IgnoredUnknown(_logger, snapshot.Service);
            return;
        }

        var current = weights.Published;
        var newer = current.IsPlaceholder
            || snapshot.Version > current.Version
            || (current.IsFallback && snapshot.Version == current.Version);
        if (!newer)
        {
            ClientMetrics.Snapshots.Add(1, ClientMetrics.Service(snapshot.Service), ClientMetrics.Outcome("stale"));
            SubscriptionLog.IgnoredStale(_logger, snapshot.Service, snapshot.Version, current.Version);
            return;
        }

        var table = WeightTable.FromSnapshot(snapshot, _random, out var rejected);
        if (rejected.Count > 0)
        {
            SubscriptionLog.RejectedEndpoints(_logger, snapshot.Service, snapshot.Version, string.Join(", ", rejected));
        }

        weights.Publish(table);
        var service = ClientMetrics.Service(snapshot.Service);
        ClientMetrics.Snapshots.Add(1, service, ClientMetrics.Outcome("applied"));
        ClientMetrics.SnapshotVersion.Record((long)Math.Min(snapshot.Version, long.MaxValue), service);
        ClientMetrics.Endpoints.Record(table.Endpoints.Count, service);
        ClientMetrics.Fallback.Record(0, service);
        SubscriptionLog.Applied(_logger, snapshot.Service, snapshot.Version, table.Endpoints.Count);
    }

    private void ConnectionHealthy()
    {
        if (Volatile.Read(ref _connected))
        {
            return;
        }

        lock (_gate)
        {
            _connected = true;
            _lostAt = null;
            _ageTimer?.Dispose();
            _ageTimer = null;
        }

        _backoff.Reset();
        ClientMetrics.Connected.Record(1);
    }

    private void ConnectionLost()
    {
        ClientMetrics.Reconnects.Add(1);
        lock (_gate)
        {
            _connected = false;
            ClientMetrics.Connected.Record(0);
            if (_lostAt is not null || _options.Client.MaxSnapshotAge is not { } maxAge || _stopping.IsCancellationRequested)
            {
                return;
            }

            // The snapshot was known current until now; from here on it only ages.
            _lostAt = _time.GetUtcNow();
            _ageTimer = _time.CreateTimer(_ => FallBack(maxAge), null, maxAge, Timeout.InfiniteTimeSpan);
        }
    }

    private void FallBack(TimeSpan age)
    {
        // Under the gate so a snapshot arriving on a fresh stream cannot be overwritten by the fallback.
        lock (_gate)
        {
            if (_connected || _lostAt is null)
            {
                return;
            }

            foreach (var weights in _services.Values)
            {
                var current = weights.Published;
                if (current.IsPlaceholder || current.IsFallback)
                {
                    continue;
                }

                SubscriptionLog.FellBack(_logger, weights.Service, age);
                weights.Publish(current.WithEqualWeights(_random));
                ClientMetrics.Fallback.Record(1, ClientMetrics.Service(weights.Service));
            }
        }
    }
}
