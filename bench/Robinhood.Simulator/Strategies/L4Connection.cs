using MathNet.Numerics.Distributions;
using Robinhood.Control;

namespace Robinhood.Simulator.Strategies;

/// <summary>
/// kube-proxy: each long-lived client connection is pinned to a random member when it opens, and carries
/// its client's share of the traffic until it reconnects. More demand means more connections (new
/// clients); less means some close. Nodes that join only get connections opened after they joined.
/// </summary>
public sealed class L4Connection : IRoutingStrategy
{
    /// <summary>Connections per member at the first tick's demand.</summary>
    public const int ConnectionsPerMember = 8;

    /// <summary>Chance a connection reconnects in a tick (mean lifetime ten minutes).</summary>
    public const double ReconnectPerTick = 1.0 / 600;

    private readonly Random _random;
    private readonly LogNormal _clientRate;
    private readonly List<(int Node, double Rate)> _connections = [];
    private double _demandPerConnection;

    public L4Connection(Random random)
    {
        _random = random;
        _clientRate = new LogNormal(0, 0.5, random);
    }

    public string Name => "l4-connection";

    /// <summary>The connections' node and relative request rate, for tests.</summary>
    public IReadOnlyList<(int Node, double Rate)> Connections => _connections;

    public void Route(RoutingTick tick, IReadOnlyList<EndpointLoad> reports, Span<double> arrivals)
    {
        ArgumentNullException.ThrowIfNull(tick);
        var members = tick.Members;
        if (_demandPerConnection == 0)
        {
            _demandPerConnection = tick.Demand / (ConnectionsPerMember * members.Count);
        }

        var isMember = new HashSet<int>(members);
        for (var c = 0; c < _connections.Count; c++)
        {
            if (!isMember.Contains(_connections[c].Node) || _random.NextDouble() < ReconnectPerTick)
            {
                _connections[c] = (Pick(members), _connections[c].Rate);
            }
        }

        var target = Math.Max(1, (int)Math.Round(tick.Demand / _demandPerConnection));
        while (_connections.Count < target)
        {
            _connections.Add((Pick(members), _clientRate.Sample()));
        }

        while (_connections.Count > target)
        {
            _connections.RemoveAt(_random.Next(_connections.Count));
        }

        var total = _connections.Sum(c => c.Rate);
        foreach (var (node, rate) in _connections)
        {
            arrivals[node] += tick.Demand * rate / total;
        }
    }

    private int Pick(IReadOnlyList<int> members) => members[_random.Next(members.Count)];
}
