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
    private readonly ConcurrentDictionary<SnapshotWatcher, byte> _watchers = new();

    public int WatcherCount => _watchers.Count;

    /// <summary>The service's current snapshot, or an empty one at version 0 when nobody has reported.</summary>
    public WeightSnapshot Get(string service) =>
        _latest.TryGetValue(service, out var s) ? s : new WeightSnapshot { Service = service, Version = 0 };

    public IEnumerable<WeightSnapshot> All => _latest.Values;

    /// <summary>Stores a snapshot and hands it to every watcher of its service.</summary>
    public void Publish(WeightSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _latest.AddOrUpdate(snapshot.Service, snapshot, (_, old) => old.Version < snapshot.Version ? snapshot : old);
        foreach (var watcher in _watchers.Keys)
        {
            watcher.Offer(snapshot);
        }
    }

    /// <summary>Registers a watcher and offers it the current snapshot of each of its services.</summary>
    public SnapshotWatcher Watch(IReadOnlyCollection<string> services)
    {
        var watcher = new SnapshotWatcher(services, this);
        _watchers.TryAdd(watcher, 0);
        foreach (var service in services)
        {
            watcher.Offer(Get(service));
        }

        return watcher;
    }

    internal void Remove(SnapshotWatcher watcher) => _watchers.TryRemove(watcher, out _);
}
