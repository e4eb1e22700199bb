namespace Robinhood.Control;

/// <summary>
/// The control loop of one service: keeps the latest load of every endpoint and, each tick,
/// moves every endpoint's weight so its utilization approaches the service average.
/// Not thread-safe: the host serializes Observe/Join/Leave/Tick per service.
/// </summary>
public sealed class ServiceController
{
    private readonly TimeProvider _time;

    public ServiceController(string service, ControlOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        Service = service;
        Options = options;
        _time = time;
    }

    public string Service { get; }

    /// <summary>Live gains; a new value takes effect at the next tick. Must already be valid.</summary>
    public ControlOptions Options { get; set; }

    /// <summary>Records the latest load of an endpoint; an unknown endpoint joins (WARMING).</summary>
    public void Observe(EndpointLoad load) => throw new NotImplementedException();

    /// <summary>An endpoint discovered by membership before it reports: it gets a safe default share.</summary>
    public void Join(string endpoint, string zone) => throw new NotImplementedException();

    /// <summary>An endpoint that left membership: DRAINING with weight 0, then forgotten.</summary>
    public void Leave(string endpoint) => throw new NotImplementedException();

    /// <summary>One control step at the current time of the injected clock.</summary>
    public ServiceWeights Tick() => throw new NotImplementedException();
}
