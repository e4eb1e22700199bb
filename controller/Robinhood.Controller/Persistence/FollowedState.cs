using System.Collections.Frozen;
using Robinhood.Control.Persistence;

namespace Robinhood.Controller.Persistence;

/// <summary>
/// The stored controller state of every service another replica controls, as of the last resync from Redis (every
/// <c>Robinhood:Redis:ResyncInterval</c>), so this replica's dashboard shows the rollout mode, the overrides and the
/// loop's terms its owner works with. Empty without Redis and when this replica controls every service.
/// </summary>
public sealed class FollowedState
{
    private volatile FrozenDictionary<string, ServiceControllerState> _states = FrozenDictionary<string, ServiceControllerState>.Empty;

    /// <summary>The leader's stored state of <paramref name="service"/>; null when none was read.</summary>
    public ServiceControllerState? Get(string service) => _states.GetValueOrDefault(service);

    /// <summary>Replaces every state with the ones just read.</summary>
    internal void Set(IEnumerable<StoredService> stored) =>
        _states = stored.Where(s => s.State is not null).ToFrozenDictionary(s => s.Service, s => s.State!, StringComparer.Ordinal);
}
