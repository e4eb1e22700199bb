using Robinhood.Controller.Control;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Publish;

namespace Robinhood.Controller.Persistence;

/// <summary>
/// After each tick, writes every service's snapshot and state to Redis as the leader, off the loop's
/// thread: a slow or unreachable Redis makes it skip ticks (the latest state wins), never delays one.
/// </summary>
public sealed partial class StateWriter(
    ControlLoop loop,
    Fleet fleet,
    SnapshotCache cache,
    StateStore store,
    RedisConnection redis,
    LeaderRole role,
    ILogger<StateWriter> logger) : BackgroundService
{
    private readonly Dictionary<string, ulong> _announced = new(StringComparer.Ordinal);
    private bool _failing;

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
                if (role.IsLeader)
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

    /// <summary>One write of the whole fleet; returns whether Redis took it.</summary>
    internal async Task<bool> WriteAsync()
    {
        try
        {
            var records = new List<ServiceRecord>();
            foreach (var service in fleet.Services)
            {
                if (fleet.Capture(service) is not { } state)
                {
                    continue;
                }

                var snapshot = cache.Get(service);
                var announce = snapshot.Version > _announced.GetValueOrDefault(service);
                records.Add(new ServiceRecord(service, snapshot, state, announce));
            }

            if (!await store.WriteAsync(role.Epoch, role.AdvertisedAddress, records).ConfigureAwait(false))
            {
                ControllerMetrics.RedisWrites.WithLabels("fenced").Inc();
                role.Demote($"Redis holds a leader epoch above ours ({role.Epoch}); another replica leads");
                return false;
            }

            foreach (var r in records)
            {
                _announced[r.Service] = r.Snapshot?.Version ?? 0;
            }

            ControllerMetrics.RedisWrites.WithLabels("written").Inc();
            redis.OperationSucceeded();
            if (_failing)
            {
                _failing = false;
                LogResynced(records.Count);
            }

            return true;
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
