using Microsoft.Extensions.Options;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Publish;
using Robinhood.V1;

namespace Robinhood.Controller.Persistence;

/// <summary>
/// Feeds the snapshots of services this replica does not control from Redis into its <see cref="SnapshotCache"/>
/// (the services it controls are fed by its ticks), so any replica serves Watch and xDS for every service:
/// pub/sub as they are written, plus a full read every <c>Robinhood:Redis:ResyncInterval</c> and whenever the
/// connection comes back (a missed message heals there), and, at each full read, the stored controller states of
/// those of them someone looked at lately (<see cref="FollowedState"/>: mode, overrides, the loop's terms for the
/// dashboard). A service its
/// owner forgot is removed (its empty snapshot on the channel, or its absence at a resync).
/// </summary>
public sealed class SnapshotFeed(
    SnapshotCache cache,
    FollowedState followed,
    StateStore store,
    RedisConnection redis,
    Ownership ownership,
    IOptions<RedisOptions> options,
    TimeProvider time) : BackgroundService
{
    private readonly SemaphoreSlim _resyncNow = new(0, 1);
    private long _resyncs;

    /// <summary>Full reads completed since start; for tests and tools.</summary>
    public long Resyncs => Interlocked.Read(ref _resyncs);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!redis.Enabled)
        {
            return;
        }

        redis.Restored += RequestResync;
        var subscribed = false;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (!subscribed)
                    {
                        var connection = await redis.GetAsync().ConfigureAwait(false);
                        await connection.GetSubscriber().SubscribeAsync(store.SnapshotChannel, (_, message) =>
                        {
                            if (message.HasValue && PublishedSnapshot.Parse((byte[])message!) is var snapshot && !ownership.Owns(snapshot.Service))
                            {
                                Take(snapshot);
                            }
                        }).ConfigureAwait(false);
                        subscribed = true;
                    }

                    if (ownership.Owned.Count < ownership.Map.Count)
                    {
                        await ResyncAsync().ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
                {
                    redis.OperationFailed("resync", e);
                }

                await WaitForResyncAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            redis.Restored -= RequestResync;
        }
    }

    private async Task WaitForResyncAsync(CancellationToken stoppingToken)
    {
        using var interval = new CancellationTokenSource(options.Value.ResyncInterval, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, interval.Token);
        try
        {
            await _resyncNow.WaitAsync(either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The interval is up.
        }
    }

    private async Task ResyncAsync()
    {
        var stored = await store.LoadAsync(s => !ownership.Owns(s), followed.Wanted).ConfigureAwait(false);
        cache.Set([.. stored.Select(s => s.Snapshot).OfType<WeightSnapshot>().Select(PublishedSnapshot.Of)]);
        // A forgotten service whose message was missed goes here.
        var names = stored.Select(s => s.Service).ToHashSet(StringComparer.Ordinal);
        foreach (var service in cache.Services.Where(s => !ownership.Owns(s) && !names.Contains(s)).ToList())
        {
            cache.Remove(service);
        }

        followed.Set(stored);
        Interlocked.Increment(ref _resyncs);
    }

    /// <summary>A published snapshot; the empty one (version 0) says its owner forgot the service.</summary>
    private void Take(PublishedSnapshot snapshot)
    {
        if (snapshot.Version == 0)
        {
            cache.Remove(snapshot.Service);
        }
        else
        {
            cache.Set([snapshot]);
        }
    }

    private void RequestResync()
    {
        try
        {
            _resyncNow.Release();
        }
        catch (SemaphoreFullException)
        {
            // A resync is already due.
        }
    }

    public override void Dispose()
    {
        _resyncNow.Dispose();
        base.Dispose();
    }
}
