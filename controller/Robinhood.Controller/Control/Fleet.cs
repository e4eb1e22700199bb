using System.Collections.Concurrent;
using Robinhood.Control;
using Robinhood.Control.Persistence;

namespace Robinhood.Controller.Control;

/// <summary>What one tick of one service produced: the weights and the setpoint they were pulled toward.</summary>
public sealed record ServiceTick(ServiceWeights Weights, double Setpoint);

/// <summary>
/// Every service the controller knows, each with its <see cref="ServiceController"/>. The one place
/// that serializes access to a controller: ingest threads and the tick loop meet here.
/// </summary>
public sealed class Fleet(ControlSettingsSource settings, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ServiceController> _services = new(StringComparer.Ordinal);

    public ICollection<string> Services => _services.Keys;

    /// <summary>Records an accepted report; the endpoint's service is created when it first reports.</summary>
    public void Observe(string service, EndpointLoad load)
    {
        var controller = GetOrAdd(service);
        lock (controller)
        {
            controller.Observe(load);
        }
    }

    /// <summary>An endpoint discovered by membership: it joins its service with a safe default share until it reports.</summary>
    public void Join(string service, string endpoint, string zone)
    {
        var controller = GetOrAdd(service);
        lock (controller)
        {
            controller.Join(endpoint, zone);
        }
    }

    /// <summary>An endpoint gone from membership: it drains.</summary>
    public void Leave(string service, string endpoint)
    {
        if (_services.TryGetValue(service, out var controller))
        {
            lock (controller)
            {
                controller.Leave(endpoint);
            }
        }
    }

    /// <summary>A copy of a service's control state, for persistence; null for an unknown service.</summary>
    public ServiceControllerState? Capture(string service)
    {
        if (!_services.TryGetValue(service, out var controller))
        {
            return null;
        }

        lock (controller)
        {
            return controller.Capture();
        }
    }

    /// <summary>Replaces a service's control state with a stored one (a new leader resuming).</summary>
    public void Restore(string service, ServiceControllerState state)
    {
        var controller = GetOrAdd(service);
        lock (controller)
        {
            controller.Restore(state);
        }
    }

    private ServiceController GetOrAdd(string service) =>
        _services.GetOrAdd(service, s => new ServiceController(s, settings.Current.For(s), time));

    /// <summary>Runs one control step for a service with its current gains.</summary>
    public ServiceTick? Tick(string service)
    {
        if (!_services.TryGetValue(service, out var controller))
        {
            return null;
        }

        lock (controller)
        {
            controller.Options = settings.Current.For(service);
            var weights = controller.Tick();
            return new ServiceTick(weights, controller.Setpoint);
        }
    }

    /// <summary>
    /// A copy of every endpoint's control state (the terms of the last step among it); empty for an unknown
    /// service. Copied when asked (a scrape), not every tick: a tick at 10,000 endpoints would copy for nobody.
    /// </summary>
    public IReadOnlyList<EndpointControlState> Diagnostics(string service) => Capture(service)?.Endpoints ?? [];
}
