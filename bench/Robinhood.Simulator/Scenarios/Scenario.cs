using Robinhood.Simulator.Fleet;

namespace Robinhood.Simulator.Scenarios;

/// <summary>
/// One situation every strategy is run through: the fleet's size, the demand over time and what
/// happens to which nodes when. Immutable; <see cref="Apply"/> changes the fleet's conditions at a tick.
/// </summary>
/// <param name="Nodes">All nodes ever in the fleet (joining ones included).</param>
/// <param name="InitialMembers">Nodes in membership at tick 0; the rest join at <paramref name="EventTick"/>.</param>
/// <param name="EventTick">When the disturbance starts; 0 when there is none (convergence is counted from here).</param>
/// <param name="Utilization">Mean CPU the demand would give the initial fleet if perfectly balanced.</param>
/// <param name="Demand">Demand multiplier at a tick (1 = <paramref name="Utilization"/>).</param>
/// <param name="Apply">Changes node conditions at a tick (called every tick before routing).</param>
/// <param name="Watched">Picks the nodes the disturbance hits, for overshoot and in-flight recovery.</param>
public sealed record Scenario(
    string Name,
    string Description,
    int Nodes,
    int InitialMembers,
    int Ticks,
    int EventTick,
    double Utilization,
    Func<int, double> Demand,
    Action<int, FleetModel, IReadOnlyList<int>> Apply,
    Func<IReadOnlyList<NodeSpec>, IReadOnlyList<int>> Watched)
{
    /// <summary>Metrics are taken from here on: the first minute is every strategy's start-up.</summary>
    public int WindowStart { get; init; } = 60;
}
