using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Robinhood.Controller.Publish;

/// <summary>
/// One stream's mailbox: the newest pending snapshot per service and a doorbell. A slow reader skips
/// superseded snapshots instead of building a backlog. Subscriptions may change while it is open (xDS).
/// </summary>
public sealed class SnapshotWatcher : IDisposable
{
    private readonly SnapshotCache _cache;
    private volatile bool _wildcard;
    private readonly ConcurrentDictionary<string, byte> _services = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PublishedSnapshot> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ulong> _sent = new(StringComparer.Ordinal);
    private readonly Channel<bool> _doorbell = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private int _disposed;

    internal SnapshotWatcher(SnapshotCache cache) => _cache = cache;

    /// <summary>Follows every service from now on (an xDS wildcard subscription); each is offered its current snapshot.</summary>
    public void SubscribeAll()
    {
        if (!_wildcard)
        {
            _wildcard = true;
            _cache.AddWildcard(this);
        }
    }

    /// <summary>
    /// Follows more services; each is offered its current snapshot. False, and nothing followed, when the new ones
    /// would take all watchers together past the cache's subscription limit.
    /// </summary>
    public bool Subscribe(IEnumerable<string> services)
    {
        var fresh = services.Where(s => !_services.ContainsKey(s)).Distinct(StringComparer.Ordinal).ToList();
        if (!_cache.TryReserve(fresh.Count))
        {
            return false;
        }

        foreach (var service in fresh)
        {
            if (_services.TryAdd(service, 0))
            {
                _cache.Add(this, service);
            }
            else
            {
                _cache.Release(1);
            }
        }

        return true;
    }

    /// <summary>Stops following services by name; one followed again is sent again.</summary>
    public void Unsubscribe(IEnumerable<string> services)
    {
        foreach (var service in services)
        {
            if (_services.TryRemove(service, out _))
            {
                _cache.Remove(this, service);
                _sent.TryRemove(service, out _);
            }
        }
    }

    internal void Offer(PublishedSnapshot snapshot)
    {
        if (!_wildcard && !_services.ContainsKey(snapshot.Service))
        {
            return;
        }

        // Version 0 is the empty snapshot of a service the cache does not (or no longer) hold: it replaces
        // whatever is pending, so a forgotten service is not shown its last weights.
        _pending.AddOrUpdate(snapshot.Service, snapshot, (_, old) => snapshot.Version == 0 || old.Version < snapshot.Version ? snapshot : old);
        _doorbell.Writer.TryWrite(true);
    }

    /// <summary>
    /// Waits for and returns the snapshots that are newer than what this watcher was sent. A service the
    /// cache forgot comes back as its empty snapshot at version 0 (once), and is sent anew if it returns.
    /// </summary>
    public async Task<IReadOnlyList<PublishedSnapshot>> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _doorbell.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var batch = new List<PublishedSnapshot>();
            foreach (var service in _pending.Keys)
            {
                if (!_pending.TryRemove(service, out var snapshot))
                {
                    continue;
                }

                var known = _sent.TryGetValue(service, out var sent);
                if (snapshot.Version == 0 ? !known || sent != 0 : !known || snapshot.Version > sent)
                {
                    _sent[service] = snapshot.Version;
                    batch.Add(snapshot);
                }
            }

            if (batch.Count > 0)
            {
                return batch;
            }
        }
    }

    /// <summary>
    /// For a reader that takes the current state from the cache itself (xDS): waits until a snapshot is
    /// offered or <see cref="Wake"/> is called, and drops what was pending.
    /// </summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        await _doorbell.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        _pending.Clear();
    }

    /// <summary>Wakes the reader as an offered snapshot would (its stream has something else to send).</summary>
    public void Wake() => _doorbell.Writer.TryWrite(true);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _cache.Close(this, _services.Keys);
        }
    }
}
