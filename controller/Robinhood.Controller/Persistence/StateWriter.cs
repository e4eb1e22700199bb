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
/// that takes longer than <c>Robinhood:Redis:WriteTimeout</c> counts as failed.
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

                var snapshot = cache.Get(service);
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
                if (!await store.WriteAsync(shard.Epoch, ownership.AdvertisedAddress, list).WaitAsync(options.Value.WriteTimeout, time).ConfigureAwait(false))
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis writes resumed; {Services} services resynced")]
    private partial void LogResynced(int services);
}
