using Microsoft.Extensions.Options;
using Robinhood.Controller.Control;
using Robinhood.Controller.Persistence;
using Robinhood.Controller.Publish;
using Robinhood.V1;

namespace Robinhood.Controller.Leadership;

/// <summary>
/// Becoming leader: take the next Redis epoch (fencing off the previous leader), restore every
/// service's controller state and publish its stored snapshot at once, then start controlling.
/// Weights continue from where the previous leader left them; versions keep rising.
/// </summary>
public sealed partial class LeaderTakeover(
    LeaderRole role,
    Fleet fleet,
    SnapshotCache cache,
    SnapshotPublisher publisher,
    StateStore store,
    RedisConnection redis,
    IOptions<RedisOptions> options,
    ILogger<LeaderTakeover> logger)
{
    /// <summary>Restores and promotes; <paramref name="stillLeading"/> guards against a lease lost meanwhile.</summary>
    public async Task TakeOverAsync(CancellationToken cancellationToken, Func<bool>? stillLeading = null)
    {
        long epoch = 0;
        if (redis.Enabled)
        {
            try
            {
                var timeout = options.Value.RestoreTimeout;
                epoch = await store.AcquireEpochAsync().WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
                var stored = await store.LoadAsync().WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
                var restored = 0;
                var resumed = new List<WeightSnapshot>();
                foreach (var service in stored)
                {
                    if (service.State is { FormatVersion: 1 } state)
                    {
                        fleet.Restore(service.Service, state);
                        restored++;
                    }

                    // The same weights at once, under a version above every one published before (unless
                    // this replica's cache already holds them, as a follower fed from Redis does).
                    if (service.Snapshot is { } snapshot && publisher.Next(SnapshotPublisher.ToWeights(snapshot), above: snapshot.Version) is { } next)
                    {
                        resumed.Add(next);
                    }
                }

                cache.Set(resumed);

                LogRestored(restored, epoch);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Lead from memory; the state writer takes an epoch once Redis answers.
                redis.OperationFailed("restore", e);
            }
        }

        if (stillLeading?.Invoke() ?? true)
        {
            role.Promote(epoch);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored {Services} services from Redis as leader of epoch {Epoch}")]
    private partial void LogRestored(int services, long epoch);
}
