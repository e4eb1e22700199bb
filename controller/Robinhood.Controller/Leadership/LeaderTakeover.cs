using Microsoft.Extensions.Options;
using Robinhood.Controller.Control;
using Robinhood.Controller.Persistence;
using Robinhood.Controller.Publish;
using Robinhood.V1;

namespace Robinhood.Controller.Leadership;

/// <summary>
/// Becoming leader: take the next Redis epoch (fencing off the previous leader), restore every
/// service's controller state and publish its stored snapshot at once, then start controlling.
/// Weights continue from where the previous leader left them; versions keep rising. A replica
/// whose restore fails or times out stays a follower and retries: leading from an empty picture
/// would publish weights computed from nothing and overwrite the stored state with them.
/// </summary>
public sealed partial class LeaderTakeover(
    LeaderRole role,
    Fleet fleet,
    SnapshotCache cache,
    SnapshotPublisher publisher,
    StateStore store,
    RedisConnection redis,
    IOptions<RedisOptions> options,
    TimeProvider time,
    Random random,
    ILogger<LeaderTakeover> logger)
{
    /// <summary>
    /// Restores and promotes, retrying with backoff until a restore succeeds, <paramref name="stillLeading"/>
    /// turns false (the lease was lost meanwhile) or <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <param name="afterFailure">An attempt already failed (the first wait is then a backoff).</param>
    public async Task TakeOverAsync(CancellationToken cancellationToken, Func<bool>? stillLeading = null, bool afterFailure = false)
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), options.Value.MaxRestoreBackoff, random);
        while (!cancellationToken.IsCancellationRequested && (stillLeading?.Invoke() ?? true))
        {
            if (afterFailure)
            {
                await Task.Delay(backoff.Next(), time, cancellationToken).ConfigureAwait(false);
            }

            if (await TryTakeOverAsync(cancellationToken, stillLeading).ConfigureAwait(false))
            {
                return;
            }

            afterFailure = true;
        }
    }

    /// <summary>One attempt; false (still a follower, the reason logged) when the restore failed or timed out.</summary>
    public async Task<bool> TryTakeOverAsync(CancellationToken cancellationToken, Func<bool>? stillLeading = null)
    {
        long epoch = 0;
        if (redis.Enabled)
        {
            try
            {
                var timeout = options.Value.RestoreTimeout;
                epoch = await store.AcquireEpochAsync().WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
                var stored = await store.LoadAsync().WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
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
                redis.OperationFailed("restore", e);
                LogRestoreFailed(e is TimeoutException ? $"no answer within {options.Value.RestoreTimeout}" : e.Message);
                return false;
            }
        }

        if (stillLeading?.Invoke() ?? true)
        {
            role.Promote(epoch);
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored {Services} services from Redis as leader of epoch {Epoch}")]
    private partial void LogRestored(int services, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not taking the lead: restoring state from Redis failed ({Reason}); staying a follower and retrying")]
    private partial void LogRestoreFailed(string reason);
}
