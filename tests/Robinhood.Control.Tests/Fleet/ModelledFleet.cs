using MathNet.Numerics.Distributions;
using Microsoft.Extensions.Time.Testing;

namespace Robinhood.Control.Tests.Fleet;

/// <summary>
/// A deterministic model of a heterogeneous service fleet under a weight strategy:
/// utilization = min(1, background + share × load / capacity), in-flight by Little's law,
/// ±<see cref="Noise"/> multiplicative noise on every reported number, reports one tick late.
/// </summary>
internal sealed class ModelledFleet
{
    /// <summary>How much slower a stalled node serves a request.</summary>
    public const double StallSlowdown = 4;

    private readonly Random _random;
    private readonly ContinuousUniform _noise;
    private List<EndpointLoad> _inTransit = [];

    public ModelledFleet(int seed, int nodes, double meanUtilization = 0.6, double noise = 0.015)
    {
        _random = new Random(seed);
        Noise = noise;
        _noise = new ContinuousUniform(1 - noise, 1 + noise, _random);
        var capacity = new ContinuousUniform(100, 400, _random);
        var background = new ContinuousUniform(0, 0.15, _random);
        for (var i = 0; i < nodes; i++)
        {
            Nodes.Add(new FleetNode($"10.0.0.{i + 1:D3}:8080", capacity.Sample(), background.Sample()));
        }

        Load = Nodes.Sum(n => (meanUtilization - n.Background) * n.Capacity);
    }

    public List<FleetNode> Nodes { get; } = [];

    /// <summary>A node that starts serving now; the load grows with the capacity it adds.</summary>
    public FleetNode AddNode(double capacity, double background)
    {
        var node = new FleetNode($"10.0.1.{Nodes.Count + 1:D3}:8080", capacity, background);
        Load += (AverageUtilization() - background) * capacity;
        Nodes.Add(node);
        return node;
    }

    /// <summary>Total requests per second offered to the service.</summary>
    public double Load { get; set; }

    public double Noise { get; }

    /// <summary>Whether reports carry requests_per_second.</summary>
    public bool ReportRate { get; set; } = true;

    /// <summary>Serves one interval under the given weights, then delivers last interval's reports.</summary>
    /// <returns>Max over mean utilization of the nodes that got traffic.</returns>
    public double Serve(IReadOnlyDictionary<string, double> weights, Action<EndpointLoad> report)
    {
        double total = 0;
        foreach (var node in Nodes)
        {
            total += weights.GetValueOrDefault(node.Name);
        }

        var reports = new List<EndpointLoad>(Nodes.Count);
        foreach (var node in Nodes)
        {
            var rate = total > 0 ? Load * weights.GetValueOrDefault(node.Name) / total : 0;
            var work = rate / node.Capacity;
            node.Rate = rate;
            node.Utilization = Math.Min(1, node.Background + (node.Stalled ? work / StallSlowdown : work));
            node.InFlight = rate * FleetNode.Latency * (node.Stalled ? StallSlowdown : 1);
            if (node.Reporting)
            {
                reports.Add(new EndpointLoad(
                    node.Name,
                    "zone-a",
                    Math.Clamp(node.Utilization * _noise.Sample(), 0, 1),
                    (uint)Math.Round(node.InFlight * _noise.Sample()),
                    node.MaxInFlight,
                    ReportRate ? rate * _noise.Sample() : 0));
            }
        }

        foreach (var load in _inTransit)
        {
            report(load);
        }

        _inTransit = reports;
        return Imbalance();
    }

    /// <summary>Max over mean utilization of the nodes that currently get traffic.</summary>
    public double Imbalance()
    {
        var busy = Nodes.Where(n => n.Rate > 0).Select(n => n.Utilization).ToList();
        return busy.Count == 0 ? 1 : busy.Max() / busy.Average();
    }

    public double AverageUtilization() => Nodes.Where(n => n.Rate > 0).Average(n => n.Utilization);
}
