using System.Runtime;

namespace Robinhood.Controller.Publish;

/// <summary>
/// Gives memory back after watchers let go of many names (watchers of many names, or of names nobody reports
/// into, disconnecting). What they held is garbage at once, but in the oldest generation: the server GC collects
/// it only when that generation's budget runs out, which a controller that goes quiet after them may not reach
/// for hours, so the process keeps its peak. Once <see cref="SubscriptionsEnded"/> watchers' subscriptions to a
/// name have ended since the last time and none for a check (the watchers are gone, not going), one compacting
/// collection hands the memory back; at most once per <see cref="MinimumGap"/>, so watchers that come and go cannot
/// make the controller collect all the time (while they churn, their allocations run the GC's own budgets).
/// </summary>
public sealed partial class ReleasedWatchMemory(SnapshotCache cache, TimeProvider time, ILogger<ReleasedWatchMemory> logger) : BackgroundService
{
    /// <summary>Ended subscriptions worth a collection: about 25 MB of watch state.</summary>
    public const int SubscriptionsEnded = 50_000;

    public static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan MinimumGap = TimeSpan.FromMinutes(1);

    private readonly Lock _lock = new();
    private long _endedAtLast;
    private long _endedAtCheck;
    private DateTimeOffset _collectedAt = DateTimeOffset.MinValue;
    private int _collections;

    /// <summary>Collections made so far.</summary>
    public int Collections => Volatile.Read(ref _collections);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckEvery, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Check();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>One check: collects when enough subscriptions ended since the last collection, none since the last check, and the last collection is old enough.</summary>
    internal void Check()
    {
        lock (_lock)
        {
            CheckLocked();
        }
    }

    private void CheckLocked()
    {
        var ended = cache.SubscriptionsEnded;
        var now = time.GetUtcNow();
        var quiet = ended == _endedAtCheck;
        _endedAtCheck = ended;
        if (ended - _endedAtLast < SubscriptionsEnded || !quiet || now - _collectedAt < MinimumGap)
        {
            return;
        }

        var before = GC.GetTotalMemory(forceFullCollection: false);
        // Aggressive: compact and decommit what the heap no longer needs, not only mark it free.
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        LogCollected(ended - _endedAtLast, before >> 20, GC.GetTotalMemory(forceFullCollection: false) >> 20);
        _endedAtLast = ended;
        _collectedAt = now;
        Interlocked.Increment(ref _collections);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Subscriptions} watch subscriptions ended since the last collection: collected, managed heap {Before} MB -> {After} MB")]
    private partial void LogCollected(long subscriptions, long before, long after);
}
