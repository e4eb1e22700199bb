using Microsoft.Extensions.Options;
using Robinhood.Controller.Control;
using Robinhood.Controller.Persistence;
using Robinhood.Controller.Publish;
using Robinhood.V1;
using StackExchange.Redis;

namespace Robinhood.Controller.Leadership;

/// <summary>
/// Taking shards: take the next Redis epoch (fencing off their previous owner), claim and restore the controller
/// state of every service in them and publish its stored snapshot at once, then hand them to <see cref="Ownership"/>,
/// which starts controlling. Weights continue from where the previous owner left them; versions keep rising.
/// A replica whose restore fails or times out does not own them and retries: controlling from an empty
/// picture would publish weights computed from nothing and overwrite the stored state with them.
/// </summary>
public sealed partial class LeaderTakeover(
    Ownership ownership,
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
    /// Restores and takes the shards, retrying with backoff until a restore succeeds, <paramref name="stillLeading"/>
    /// turns false (the lease was lost meanwhile) or <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <param name="afterFailure">An attempt already failed (the first wait is then a backoff).</param>
    public async Task TakeOverAsync(IReadOnlyCollection<int> shards, CancellationToken cancellationToken, Func<bool>? stillLeading = null, bool afterFailure = false)
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), options.Value.MaxRestoreBackoff, random);
        while (!cancellationToken.IsCancellationRequested && (stillLeading?.Invoke() ?? true))
        {
            if (afterFailure)
            {
                await Task.Delay(backoff.Next(), time, cancellationToken).ConfigureAwait(false);
            }

            if (await TryTakeOverAsync(shards, cancellationToken, stillLeading).ConfigureAwait(false))
            {
                return;
            }

            afterFailure = true;
        }
    }

    /// <summary>One attempt; false (the shards not owned, the reason logged) when the restore failed or timed out.</summary>
    public async Task<bool> TryTakeOverAsync(IReadOnlyCollection<int> shards, CancellationToken cancellationToken, Func<bool>? stillLeading = null)
    {
        ArgumentNullException.ThrowIfNull(shards);
        long epoch = 0;
        if (redis.Enabled)
        {
            try
            {
                var timeout = options.Value.RestoreTimeout;
                epoch = await store.AcquireEpochAsync().WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
                var stored = await store.ClaimAsync(epoch, s => shards.Contains(ownership.Map.Of(s))).WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
                var restored = 0;
                var resumed = new List<PublishedSnapshot>();
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

                LogRestored(restored, shards.Count, epoch);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                redis.OperationFailed("restore", e);
                // The Redis client's own command timeout (its asyncTimeout) is a TimeoutException too: say which one it was.
                LogRestoreFailed(e is TimeoutException and not RedisTimeoutException ? $"no answer within Robinhood:Redis:RestoreTimeout ({options.Value.RestoreTimeout})" : e.Message);
                return false;
            }
        }

        if (stillLeading?.Invoke() ?? true)
        {
            foreach (var shard in shards)
            {
                ownership.Acquire(shard, epoch);
            }
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored {Services} services of {Shards} shards from Redis under epoch {Epoch}")]
    private partial void LogRestored(int services, int shards, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not taking shards: restoring state from Redis failed ({Reason}); retrying")]
    private partial void LogRestoreFailed(string reason);
}
