using System.Collections.Concurrent;
using Robinhood.Control;

namespace Robinhood.Controller.Control;

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
        var controller = _services.GetOrAdd(service, s => new ServiceController(s, settings.Current.For(s), time));
        lock (controller)
        {
            controller.Observe(load);
        }
    }

    /// <summary>Runs one control step for a service with its current gains.</summary>
    public ServiceWeights? Tick(string service)
    {
        if (!_services.TryGetValue(service, out var controller))
        {
            return null;
        }

        lock (controller)
        {
            controller.Options = settings.Current.For(service);
            return controller.Tick();
        }
    }
}
