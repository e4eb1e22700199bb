using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Robinhood.Controller.Control;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Publish;

namespace Robinhood.Controller.Persistence;

/// <summary>
/// After each tick, writes the snapshot and state of every service in the shards this replica owns to Redis,
/// each under its shard's epoch, off the loop's thread: a slow or unreachable Redis makes it skip ticks (the
/// latest state wins), never delays one. A write Redis fences off (a higher epoch) gives the shard up; one
/// that takes longer than <c>Robinhood:Redis:WriteTimeout</c> counts as failed. A service
/// the loop forgot (idle) is deleted under its shard's epoch.
/// </summary>
public sealed partial class StateWriter(
    ControlLoop loop,
    Fleet fleet,
    SnapshotCache cache,
    StateStore store,
    RedisConnection redis,
    Ownership ownership,
    IOptions<RedisOptions> options,
    TimeProvider time,
    ILogger<StateWriter> logger) : BackgroundService, IShardWork
{
    private readonly ConcurrentDictionary<int, OwnedShard> _shards = new();
    private readonly Dictionary<string, ulong> _announced = new(StringComparer.Ordinal);
    // Services of owned shards the cache forgot, to delete at the next write.
    private readonly ConcurrentDictionary<string, byte> _forgotten = new(StringComparer.Ordinal);
    private bool _failing;

    public void Start(OwnedShard shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        _shards[shard.Shard] = shard;
    }

    public void Stop(int shard) => _shards.TryRemove(shard, out _);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!redis.Enabled)
        {
            return;
        }

        cache.Removed += OnRemoved;
        try
        {
            long written = 0;
            while (!stoppingToken.IsCancellationRequested)
            {
                // Taken before reading Ticks, so a tick in between is not missed; ticks during a slow
                // write collapse into one write of the latest state.
                var next = loop.NextTickAsync();
                if (loop.Ticks == written)
                {
                    await next.WaitAsync(stoppingToken).ConfigureAwait(false);
                }

                written = loop.Ticks;
                if (!_shards.IsEmpty)
                {
                    await WriteAsync().ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            cache.Removed -= OnRemoved;
        }
    }

    private void OnRemoved(string service)
    {
        if (_shards.ContainsKey(ownership.Map.Of(service)))
        {
            _forgotten[service] = 0;
        }
    }

    /// <summary>One write of every owned shard; returns whether Redis took all of them.</summary>
    internal async Task<bool> WriteAsync()
    {
        try
        {
            var records = new Dictionary<OwnedShard, List<ServiceRecord>>();
            foreach (var service in fleet.Services)
            {
                if (!_shards.TryGetValue(ownership.Map.Of(service), out var shard) || fleet.Capture(service) is not { } state)
                {
                    continue;
                }

                var snapshot = cache.GetPublished(service);
                var announce = snapshot.Version > _announced.GetValueOrDefault(service);
                if (!records.TryGetValue(shard, out var list))
                {
                    records[shard] = list = [];
                }

                list.Add(new ServiceRecord(service, snapshot, state, announce));
            }

            var all = true;
            var count = 0;
            foreach (var (shard, list) in records)
            {
                if (!await store.WriteAsync(shard.Epoch, list).WaitAsync(options.Value.WriteTimeout, time).ConfigureAwait(false))
                {
                    ControllerMetrics.RedisWrites.WithLabels("fenced").Inc();
                    ownership.Release(shard.Shard, $"Redis holds an epoch above ours ({shard.Epoch}); another replica owns the shard");
                    all = false;
                    continue;
                }

                foreach (var r in list)
                {
                    _announced[r.Service] = r.Snapshot?.Version ?? 0;
                }

                count += list.Count;
                ControllerMetrics.RedisWrites.WithLabels("written").Inc();
            }

            all &= await ForgetAsync().ConfigureAwait(false);

            // Services this replica no longer controls are announced again by whoever takes them.
            foreach (var service in _announced.Keys.Where(s => !_shards.ContainsKey(ownership.Map.Of(s))).ToList())
            {
                _announced.Remove(service);
            }

            redis.OperationSucceeded();
            if (_failing)
            {
                _failing = false;
                LogResynced(count);
            }

            return all;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _failing = true;
            redis.OperationFailed("write", e);
            return false;
        }
    }

    /// <summary>Deletes the forgotten services still forgotten (none came back meanwhile), each shard under its epoch.</summary>
    private async Task<bool> ForgetAsync()
    {
        var all = true;
        foreach (var group in _forgotten.Keys.GroupBy(ownership.Map.Of))
        {
            var services = group.Where(s => fleet.Capture(s) is null).ToList();
            if (_shards.TryGetValue(group.Key, out var shard) && services.Count > 0
                && !await store.ForgetAsync(shard.Epoch, services).WaitAsync(options.Value.WriteTimeout, time).ConfigureAwait(false))
            {
                ControllerMetrics.RedisWrites.WithLabels("fenced").Inc();
                ownership.Release(shard.Shard, $"Redis holds an epoch above ours ({shard.Epoch}); another replica owns the shard");
                all = false;
            }

            foreach (var service in group)
            {
                _forgotten.TryRemove(service, out _);
                _announced.Remove(service);
            }
        }

        return all;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis writes resumed; {Services} services resynced")]
    private partial void LogResynced(int services);
}
