using System.Collections.Concurrent;
using Robinhood.Control.Persistence;

namespace Robinhood.Controller.Persistence;

/// <summary>
/// The stored controller state of services another replica controls, for this replica's dashboard (the rollout mode,
/// the overrides and the loop's terms their owner works with), read only for the services someone looks at: a
/// service asked for (<see cref="Get"/>, <see cref="GetAsync"/>) is read at once, then at every full read of Redis
/// (<c>Robinhood:Redis:ResyncInterval</c>) while it was asked for within <see cref="Interest"/>. Reading every
/// followed state at every resync made each replica read the whole fleet's state every few seconds (traffic growing
/// with the fleet times the replicas) for pages nobody had open. Empty without Redis and when this replica controls
/// every service.
/// </summary>
public sealed class FollowedState(StateStore store, RedisConnection redis, TimeProvider time)
{
    /// <summary>How long a service's state is still read after it was last asked for.</summary>
    public static readonly TimeSpan Interest = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, ServiceControllerState> _states = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _asked = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task> _reading = new(StringComparer.Ordinal);

    /// <summary>The owner's stored state of <paramref name="service"/> as last read; null when none was read yet (one is being read).</summary>
    public ServiceControllerState? Get(string service)
    {
        if (Ask(service))
        {
            _ = ReadAsync(service);
        }

        return _states.GetValueOrDefault(service);
    }

    /// <summary>As <see cref="Get"/>, waiting for the read when none was read yet.</summary>
    public async Task<ServiceControllerState?> GetAsync(string service, CancellationToken cancellationToken)
    {
        if (Ask(service) || !_states.ContainsKey(service))
        {
            await ReadAsync(service).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return _states.GetValueOrDefault(service);
    }

    /// <summary>Whether a full read should read the service's state: it was asked for within <see cref="Interest"/>.</summary>
    internal bool Wanted(string service) => _asked.TryGetValue(service, out var at) && time.GetUtcNow() - at <= Interest;

    /// <summary>Replaces every state with the ones a full read just read (of the services wanted); forgets old interest.</summary>
    internal void Set(IEnumerable<StoredService> stored)
    {
        var now = time.GetUtcNow();
        foreach (var (service, at) in _asked)
        {
            if (now - at > Interest)
            {
                _asked.TryRemove(service, out _);
            }
        }

        var read = stored.Where(s => s.State is not null).ToDictionary(s => s.Service, s => s.State!, StringComparer.Ordinal);
        foreach (var service in _states.Keys.Where(s => !read.ContainsKey(s)))
        {
            _states.TryRemove(service, out _);
        }

        foreach (var (service, state) in read)
        {
            _states[service] = state;
        }
    }

    /// <summary>Records the ask; true when the service was not wanted until now.</summary>
    private bool Ask(string service)
    {
        var wanted = Wanted(service);
        _asked[service] = time.GetUtcNow();
        return !wanted;
    }

    /// <summary>One read of the service's state, shared by whoever asks while it runs.</summary>
    private Task ReadAsync(string service)
    {
        if (!redis.Enabled)
        {
            return Task.CompletedTask;
        }

        lock (_reading)
        {
            if (!_reading.TryGetValue(service, out var running))
            {
                // Its end removes it under this lock, so it is in the table only while it runs.
                running = ReadOnceAsync(service);
                if (!running.IsCompleted)
                {
                    _reading[service] = running;
                }
            }

            return running;
        }
    }

    private async Task ReadOnceAsync(string service)
    {
        try
        {
            if (await store.LoadStateAsync(service).ConfigureAwait(false) is { } state)
            {
                _states[service] = state;
            }
            else
            {
                _states.TryRemove(service, out _);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            redis.OperationFailed("resync", e);
        }
        finally
        {
            lock (_reading)
            {
                _reading.Remove(service);
            }
        }
    }
}
