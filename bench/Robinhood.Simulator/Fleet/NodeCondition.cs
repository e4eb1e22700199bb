namespace Robinhood.Simulator.Fleet;

/// <summary>What a scenario has done to one node right now; mutable, changed between ticks.</summary>
public sealed class NodeCondition
{
    /// <summary>In the service's membership (EndpointSlices): strategies may route to it.</summary>
    public bool Member { get; set; } = true;

    /// <summary>Its agent is alive: the node's load reaches the strategies that read reports.</summary>
    public bool Reporting { get; set; } = true;

    /// <summary>Share of its CPU capacity still available to requests (a noisy neighbour halves it).</summary>
    public double CapacityFactor { get; set; } = 1;

    /// <summary>Extra background CPU on top of the node's own (a neighbour's batch job).</summary>
    public double ExtraBackground { get; set; }

    /// <summary>Stalled on I/O: requests take far longer and little CPU is used.</summary>
    public bool Stalled { get; set; }
}
