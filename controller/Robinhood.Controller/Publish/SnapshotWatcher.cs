using System.Collections.Concurrent;
using System.Threading.Channels;
using Robinhood.V1;

namespace Robinhood.Controller.Publish;

/// <summary>
/// One Watch stream's mailbox: the newest pending snapshot per service and a doorbell. A slow
/// reader skips superseded snapshots instead of building a backlog.
/// </summary>
public sealed class SnapshotWatcher : IDisposable
{
    private readonly HashSet<string> _services;
    private int _disposed;
    private readonly SnapshotCache _cache;
    private readonly ConcurrentDictionary<string, WeightSnapshot> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _sent = new(StringComparer.Ordinal);
    private readonly Channel<bool> _doorbell = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    internal SnapshotWatcher(IReadOnlyCollection<string> services, SnapshotCache cache)
    {
        _services = services.ToHashSet(StringComparer.Ordinal);
        _cache = cache;
    }

    internal void Offer(WeightSnapshot snapshot)
    {
        if (!_services.Contains(snapshot.Service))
        {
            return;
        }

        _pending.AddOrUpdate(snapshot.Service, snapshot, (_, old) => old.Version < snapshot.Version ? snapshot : old);
        _doorbell.Writer.TryWrite(true);
    }

    /// <summary>Waits for and returns the snapshots that are newer than what this watcher was sent.</summary>
    public async Task<IReadOnlyList<WeightSnapshot>> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _doorbell.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var batch = new List<WeightSnapshot>();
            foreach (var service in _pending.Keys)
            {
                if (_pending.TryRemove(service, out var snapshot)
                    && (!_sent.TryGetValue(service, out var sent) || snapshot.Version > sent))
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

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _cache.Remove(this, _services);
        }
    }
}
