namespace Robinhood.Control.Tests.Fleet;

/// <summary>One modelled server: a capacity, its own background CPU, and a concurrency limit.</summary>
internal sealed class FleetNode(string name, double capacity, double background)
{
    /// <summary>Request latency of a healthy node, seconds.</summary>
    public const double Latency = 0.05;

    public string Name { get; } = name;

    /// <summary>Requests per second that take the whole CPU allotment.</summary>
    public double Capacity { get; set; } = capacity;

    /// <summary>CPU used by things other than requests (noisy neighbours, GC, sidecars).</summary>
    public double Background { get; set; } = background;

    /// <summary>Stalled on I/O: requests wait far longer and use little CPU.</summary>
    public bool Stalled { get; set; }

    /// <summary>False once its agent stops reporting.</summary>
    public bool Reporting { get; set; } = true;

    /// <summary>Sized for the concurrency of a fully busy healthy node.</summary>
    public uint MaxInFlight => (uint)Math.Ceiling(Capacity * Latency);

    // Last modelled state (noise free).
    public double Rate { get; set; }

    public double Utilization { get; set; }

    public double InFlight { get; set; }
}
