using System.Collections.Concurrent;
using Robinhood.V1;

namespace Robinhood.Controller.Publish;

/// <summary>
/// The latest <see cref="WeightSnapshot"/> of every service, and the watchers that want them.
/// Publishing never waits on a watcher: each holds only the newest snapshot per service.
/// </summary>
public sealed class SnapshotCache
{
    private readonly ConcurrentDictionary<string, WeightSnapshot> _latest = new(StringComparer.Ordinal);
    // Watchers indexed by service: a publish touches only the watchers of its own service.
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<SnapshotWatcher, byte>> _watchers = new(StringComparer.Ordinal);
    private int _watcherCount;

    public int WatcherCount => Volatile.Read(ref _watcherCount);

    /// <summary>The service's current snapshot, or an empty one at version 0 when nobody has reported.</summary>
    public WeightSnapshot Get(string service) =>
        _latest.TryGetValue(service, out var s) ? s : new WeightSnapshot { Service = service, Version = 0 };

    /// <summary>Stores a snapshot and hands it to every watcher of its service.</summary>
    public void Publish(WeightSnapshot snapshot)
    {
        Store(snapshot);
        Notify(snapshot);
    }

    /// <summary>Keeps a snapshot as its service's latest (unless a newer one is there); watchers hear of it at <see cref="Notify"/>.</summary>
    public void Store(WeightSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _latest.AddOrUpdate(snapshot.Service, snapshot, (_, old) => old.Version < snapshot.Version ? snapshot : old);
    }

    /// <summary>Hands a snapshot to every watcher of its service; each writes it on its own stream.</summary>
    public void Notify(WeightSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (_watchers.TryGetValue(snapshot.Service, out var watchers))
        {
            foreach (var (watcher, _) in watchers)
            {
                watcher.Offer(snapshot);
            }
        }
    }

    /// <summary>Registers a watcher and offers it the current snapshot of each of its services.</summary>
    public SnapshotWatcher Watch(IReadOnlyCollection<string> services)
    {
        var watcher = new SnapshotWatcher(services, this);
        Interlocked.Increment(ref _watcherCount);
        foreach (var service in services)
        {
            _watchers.GetOrAdd(service, _ => new ConcurrentDictionary<SnapshotWatcher, byte>()).TryAdd(watcher, 0);
            watcher.Offer(Get(service));
        }

        return watcher;
    }

    internal void Remove(SnapshotWatcher watcher, IEnumerable<string> services)
    {
        foreach (var service in services)
        {
            // An emptied service entry stays: services are few and long-lived.
            if (_watchers.TryGetValue(service, out var watchers))
            {
                watchers.TryRemove(watcher, out _);
            }
        }

        Interlocked.Decrement(ref _watcherCount);
    }
}
