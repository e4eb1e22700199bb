using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Robinhood.Controller.Ingest;
using Robinhood.V1;
using Robinhood.Control;
using Robinhood.Control.Persistence;
using Robinhood.Control.Rollout;

namespace Robinhood.Controller.Control;

/// <summary>What one tick of one service produced: the weights and the setpoint they were pulled toward.</summary>
public sealed record ServiceTick(ServiceWeights Weights, double Setpoint);

/// <summary>
/// Every service the controller knows, each with its <see cref="ServiceController"/>. The one place
/// that serializes access to a controller: ingest threads and the tick loop meet here.
/// </summary>
public sealed class Fleet(ControlSettingsSource settings, IOptions<LimitsOptions> limits, TimeProvider time)
{
    /// <summary>Refusal of a report for a new service once the controller holds <see cref="LimitsOptions.MaxServices"/>.</summary>
    public static Refusal ServiceLimit(int max) => Refusal.Of(RefusalReason.ServiceLimit, "service", $"would be one more than the {max} services this controller holds (Robinhood:Limits:MaxServices)");

    /// <summary>Refusal of a report for a new endpoint once its service holds <see cref="LimitsOptions.MaxEndpointsPerService"/>.</summary>
    public static Refusal EndpointLimit(int max) => Refusal.Of(RefusalReason.EndpointLimit, "endpoint", $"would be one more than the {max} endpoints a service holds (Robinhood:Limits:MaxEndpointsPerService)");

    private readonly ConcurrentDictionary<string, ServiceController> _services = new(StringComparer.Ordinal);
    private readonly Lock _creating = new();

    public ICollection<string> Services => _services.Keys;

    /// <summary>
    /// Records a report; the endpoint's service is created when it first reports. Null when recorded, else the
    /// limit it would break (nothing changed).
    /// </summary>
    public Refusal? Observe(string service, EndpointLoad load)
    {
        var l = limits.Value;
        if (!_services.ContainsKey(service))
        {
            // Checked and created under one lock: streams inventing services at once never pass the limit together.
            lock (_creating)
            {
                if (!_services.ContainsKey(service) && _services.Count >= l.MaxServices)
                {
                    return ServiceLimit(l.MaxServices);
                }

                _services.GetOrAdd(service, NewController);
            }
        }

        var controller = EnterOrAdd(service);
        try
        {
            if (controller.Count >= l.MaxEndpointsPerService && !controller.Has(load.Endpoint))
            {
                return EndpointLimit(l.MaxEndpointsPerService);
            }

            controller.Observe(load);
        }
        finally
        {
            Monitor.Exit(controller);
        }

        return null;
    }

    /// <summary>An endpoint discovered by membership: it joins its service with a safe default share until it reports.</summary>
    public void Join(string service, string endpoint, string zone)
    {
        var controller = EnterOrAdd(service);
        try
        {
            controller.Join(endpoint, zone);
        }
        finally
        {
            Monitor.Exit(controller);
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

    /// <summary>Drops a service's controller: its shard went to another replica, which controls it from Redis.</summary>
    public void Remove(string service) => _services.TryRemove(service, out _);

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
        var controller = EnterOrAdd(service);
        try
        {
            controller.Restore(state);
        }
        finally
        {
            Monitor.Exit(controller);
        }
    }

    /// <summary>Sets a known service's rollout mode (from the next tick); false for an unknown service.</summary>
    public bool SetRollout(string service, ServiceRollout rollout) => Change(service, c => c.SetRollout(rollout));

    /// <summary>Drains, pins or releases a known endpoint of a known service (from the next tick); false when either is unknown.</summary>
    public bool Override(string service, Func<ServiceController, bool> change) => Change(service, change);

    private bool Change(string service, Action<ServiceController> change) => Change(service, c =>
    {
        change(c);
        return true;
    });

    private bool Change(string service, Func<ServiceController, bool> change)
    {
        if (!_services.TryGetValue(service, out var controller))
        {
            return false;
        }

        lock (controller)
        {
            return change(controller);
        }
    }

    /// <summary>
    /// Removes every service <paramref name="controlled"/> picks that is idle at <paramref name="now"/>: no report for
    /// <see cref="LimitsOptions.ForgetIdleServicesAfter"/> and no endpoint membership lists. Returns the
    /// services removed; the caller forgets them everywhere else. A report or join for one of them afterwards
    /// makes it anew.
    /// </summary>
    public IReadOnlyList<string> ForgetIdle(DateTimeOffset now, Func<string, bool> controlled)
    {
        var after = limits.Value.ForgetIdleServicesAfter;
        var forgotten = new List<string>();
        foreach (var (service, controller) in _services)
        {
            if (!controlled(service))
            {
                continue;
            }

            lock (controller)
            {
                // The report time first: HasMembers walks the service's endpoints, and this runs every tick.
                if (now - controller.LastReportAt >= after && !controller.HasMembers
                    && _services.TryRemove(new KeyValuePair<string, ServiceController>(service, controller)))
                {
                    forgotten.Add(service);
                }
            }
        }

        return forgotten;
    }

    /// <summary>
    /// The service's controller, made when missing, with its lock held (the caller exits it). Retries when
    /// the controller it found was forgotten before the lock was taken, so nothing is recorded into a removed one.
    /// </summary>
    private ServiceController NewController(string service) => new(service, settings.Current.For(service), time);

    private ServiceController EnterOrAdd(string service)
    {
        while (true)
        {
            // Looked up first: GetOrAdd with a method group would make a delegate on every report.
            var controller = _services.TryGetValue(service, out var found) ? found : _services.GetOrAdd(service, NewController);
            Monitor.Enter(controller);
            if (_services.TryGetValue(service, out var current) && ReferenceEquals(current, controller))
            {
                return controller;
            }

            Monitor.Exit(controller);
        }
    }

    /// <summary>
    /// Runs one control step for a service with its current gains. The weights are in the service's own reused
    /// array (<see cref="ServiceController.TickReusingOutput"/>), valid until its next tick: whoever keeps them
    /// past the tick copies them.
    /// </summary>
    public ServiceTick? Tick(string service)
    {
        if (!_services.TryGetValue(service, out var controller))
        {
            return null;
        }

        lock (controller)
        {
            controller.Options = settings.Current.For(service);
            var weights = controller.TickReusingOutput();
            return new ServiceTick(weights, controller.Setpoint);
        }
    }

    /// <summary>
    /// A copy of every endpoint's control state (the terms of the last step among it); empty for an unknown
    /// service. Copied when asked (a scrape), not every tick: a tick at 10,000 endpoints would copy for nobody.
    /// </summary>
    public IReadOnlyList<EndpointControlState> Diagnostics(string service) => Capture(service)?.Endpoints ?? [];
}
