using System.Collections.Concurrent;
using Robinhood.V1;

namespace Robinhood.Controller.Publish;

/// <summary>
/// The one store of published weights: the latest snapshot of every service as its bytes (<see cref="PublishedSnapshot"/>), and
/// everything that streams them (Watch, xDS, the dashboard). Snapshots come in through <see cref="Set"/>
/// alone: the leader's tick and takeover, a follower's feed from Redis. Publishing never waits on a
/// reader: each watcher holds only the newest snapshot per service.
/// </summary>
public sealed class SnapshotCache
{
    private readonly ConcurrentDictionary<string, PublishedSnapshot> _latest = new(StringComparer.Ordinal);
    // Watchers indexed by service: a publish touches only the watchers of its own service (and the
    // wildcard ones, which follow every service). Each entry is an array replaced whole on every change
    // (compare-and-swap), so a publish reads it without a lock, and a service one watcher names costs an
    // array of one: watchers may name up to MaxWatchServices services each, mostly one watcher per name.
    private readonly ConcurrentDictionary<string, SnapshotWatcher[]> _watchers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<SnapshotWatcher, byte> _wildcard = new();
    private readonly long _maxSubscriptions;
    private int _watcherCount;
    private long _subscriptions;
    private long _subscriptionsEnded;

    /// <param name="maxSubscriptions">
    /// The (watcher, service) pairs all watchers together may hold (<c>Robinhood:Limits:MaxWatchSubscriptions</c>);
    /// a subscription that would pass it is refused (<see cref="SnapshotWatcher.Subscribe"/> returns false).
    /// </param>
    public SnapshotCache(long maxSubscriptions = long.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSubscriptions);
        _maxSubscriptions = maxSubscriptions;
    }

    public int WatcherCount => Volatile.Read(ref _watcherCount);

    /// <summary>Services some watcher names (each holds an entry while it is watched).</summary>
    internal int WatchedServiceCount => _watchers.Count;

    /// <summary>The (watcher, service) pairs held now, by name (a wildcard watcher holds none).</summary>
    internal long Subscriptions => Interlocked.Read(ref _subscriptions);

    /// <summary>A watcher's subscriptions to a service ended so far (unsubscribed, or the watcher gone).</summary>
    internal long SubscriptionsEnded => Interlocked.Read(ref _subscriptionsEnded);

    /// <summary>Raised after each <see cref="Set"/> with the snapshots it stored, on the caller's thread; a handler must be quick.</summary>
    public event Action<IReadOnlyList<PublishedSnapshot>>? Published;

    /// <summary>Raised by <see cref="Remove(string)"/> with the service forgotten (with or without a snapshot), on the caller's thread; a handler must be quick.</summary>
    public event Action<string>? Removed;

    /// <summary>The services that have a snapshot.</summary>
    public ICollection<string> Services => _latest.Keys;

    /// <summary>The service's current snapshot, or an empty one at version 0 when nobody has reported.</summary>
    public PublishedSnapshot GetPublished(string service) =>
        _latest.TryGetValue(service, out var s) ? s : PublishedSnapshot.Empty(service);

    /// <summary>The same snapshot as a message (parsed from its bytes on first use), for readers of its endpoints; not to be changed.</summary>
    public WeightSnapshot Get(string service) => GetPublished(service).Message;

    /// <summary>
    /// The one way in. Keeps each snapshot that is newer than its service's latest, then hands the kept
    /// ones to the watchers (all stored first, so a reader never sees half of a tick). Returns what was kept.
    /// </summary>
    public IReadOnlyList<PublishedSnapshot> Set(IReadOnlyCollection<PublishedSnapshot> snapshots)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        var kept = new List<PublishedSnapshot>(snapshots.Count);
        foreach (var snapshot in snapshots)
        {
            if (_latest.AddOrUpdate(snapshot.Service, snapshot, (_, old) => old.Version < snapshot.Version ? snapshot : old) == snapshot)
            {
                kept.Add(snapshot);
            }
        }

        foreach (var snapshot in kept)
        {
            Offer(snapshot.Service, snapshot);
        }

        if (kept.Count > 0)
        {
            Published?.Invoke(kept);
        }

        return kept;
    }

    /// <summary>Forgets a service: its watchers are offered the empty snapshot (version 0), wildcard watchers see it go.</summary>
    public void Remove(string service)
    {
        if (_latest.TryRemove(service, out _))
        {
            Offer(service, PublishedSnapshot.Empty(service));
        }

        Removed?.Invoke(service);
    }

    /// <summary>
    /// Registers a watcher of named services and offers it the current snapshot of each; throws when they would
    /// pass the subscription limit (a caller that can be refused starts from none and checks <see cref="SnapshotWatcher.Subscribe"/>).
    /// </summary>
    public SnapshotWatcher Watch(IReadOnlyCollection<string> services)
    {
        var watcher = new SnapshotWatcher(this);
        Interlocked.Increment(ref _watcherCount);
        if (!watcher.Subscribe(services))
        {
            watcher.Dispose();
            throw new InvalidOperationException($"{services.Count} subscriptions would pass the limit of {_maxSubscriptions}");
        }

        return watcher;
    }

    /// <summary>Takes <paramref name="count"/> subscriptions if all watchers together stay within the limit; false takes none.</summary>
    internal bool TryReserve(int count)
    {
        if (Interlocked.Add(ref _subscriptions, count) <= _maxSubscriptions)
        {
            return true;
        }

        Interlocked.Add(ref _subscriptions, -count);
        return false;
    }

    /// <summary>Gives back subscriptions reserved and not used.</summary>
    internal void Release(int count) => Interlocked.Add(ref _subscriptions, -count);

    internal void AddWildcard(SnapshotWatcher watcher)
    {
        _wildcard.TryAdd(watcher, 0);
        foreach (var snapshot in _latest.Values)
        {
            watcher.Offer(snapshot);
        }
    }

    internal void Add(SnapshotWatcher watcher, string service)
    {
        _watchers.AddOrUpdate(service, static (_, w) => [w], static (_, old, w) => [.. old, w], watcher);
        watcher.Offer(GetPublished(service));
    }

    internal void Remove(SnapshotWatcher watcher, string service)
    {
        // An emptied entry goes: watchers may name services nobody reports into, and many of them.
        while (_watchers.TryGetValue(service, out var old))
        {
            var rest = Array.FindAll(old, w => w != watcher);
            if (rest.Length == old.Length)
            {
                return;
            }

            if (rest.Length == 0
                ? _watchers.TryRemove(new KeyValuePair<string, SnapshotWatcher[]>(service, old))
                : _watchers.TryUpdate(service, rest, old))
            {
                Interlocked.Increment(ref _subscriptionsEnded);
                Interlocked.Decrement(ref _subscriptions);
                return;
            }
        }
    }

    internal void Close(SnapshotWatcher watcher, IEnumerable<string> services)
    {
        _wildcard.TryRemove(watcher, out _);
        foreach (var service in services)
        {
            Remove(watcher, service);
        }

        Interlocked.Decrement(ref _watcherCount);
    }

    private void Offer(string service, PublishedSnapshot snapshot)
    {
        if (_watchers.TryGetValue(service, out var watchers))
        {
            foreach (var watcher in watchers)
            {
                watcher.Offer(snapshot);
            }
        }

        foreach (var (watcher, _) in _wildcard)
        {
            watcher.Offer(snapshot);
        }
    }
}
