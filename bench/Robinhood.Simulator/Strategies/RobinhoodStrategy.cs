using Microsoft.Extensions.Time.Testing;
using Robinhood.Control;

namespace Robinhood.Simulator.Strategies;

/// <summary>
/// The real control library, unchanged: membership changes go to Join/Leave, the lagged reports to
/// Observe, then one Tick a second on a fake clock; clients route by the published weights (WRR).
/// </summary>
public sealed class RobinhoodStrategy : IRoutingStrategy
{
    public const string Service = "simulated";

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);
    private readonly HashSet<int> _members = [];
    private readonly Dictionary<string, uint> _weights = [];

    public RobinhoodStrategy(ControlOptions options) => Controller = new ServiceController(Service, options, _time);

    public string Name => "robinhood";

    public ServiceController Controller { get; }

    /// <summary>The last tick's output of the controller.</summary>
    public ServiceWeights? LastWeights { get; private set; }

    public void Route(RoutingTick tick, IReadOnlyList<EndpointLoad> reports, Span<double> arrivals)
    {
        ArgumentNullException.ThrowIfNull(tick);
        ArgumentNullException.ThrowIfNull(reports);
        _time.Advance(TimeSpan.FromSeconds(1));
        foreach (var m in tick.Members.Where(_members.Add))
        {
            Controller.Join(tick.Nodes[m].Endpoint, tick.Nodes[m].Zone);
        }

        var current = tick.Members.ToHashSet();
        foreach (var gone in _members.Where(m => !current.Contains(m)).ToList())
        {
            _members.Remove(gone);
            Controller.Leave(tick.Nodes[gone].Endpoint);
        }

        foreach (var r in reports)
        {
            Controller.Observe(r);
        }

        LastWeights = Controller.Tick();
        _weights.Clear();
        foreach (var e in LastWeights.Endpoints)
        {
            _weights[e.Endpoint] = e.Weight;
        }

        double total = tick.Members.Sum(m => _weights.GetValueOrDefault(tick.Nodes[m].Endpoint));
        foreach (var m in tick.Members)
        {
            // No weight at all (nothing published yet): clients fall back to equal shares.
            arrivals[m] = total > 0
                ? tick.Demand * _weights.GetValueOrDefault(tick.Nodes[m].Endpoint) / total
                : tick.Demand / tick.Members.Count;
        }
    }
}
