using Robinhood.V1;

namespace Robinhood.Controller.Tests.Persistence;

/// <summary>
/// A heterogeneous fleet behind one service, modelled for tests that drive the real controller:
/// utilization = background + share × load / capacity, in-flight by Little's law, reports with
/// requests_per_second. Deterministic for a seed.
/// </summary>
public sealed class ModelledService
{
    private readonly (string Endpoint, double Capacity, double Background)[] _nodes;
    private readonly double _load;
    private ulong _sequence;

    public ModelledService(string service, int nodes, int seed, double meanUtilization = 0.6)
    {
        Service = service;
        var random = new Random(seed);
        _nodes = Enumerable.Range(1, nodes)
            .Select(i => ($"10.1.0.{i}:8080", 100 + (300 * random.NextDouble()), 0.1 * random.NextDouble()))
            .ToArray();
        _load = _nodes.Sum(n => (meanUtilization - n.Background) * n.Capacity);
    }

    public string Service { get; }

    public IEnumerable<string> Endpoints => _nodes.Select(n => n.Endpoint);

    /// <summary>Utilization of every node under the given weights (equal shares while none is known).</summary>
    public Dictionary<string, double> Utilization(IReadOnlyDictionary<string, uint> weights)
    {
        double total = _nodes.Sum(n => (double)weights.GetValueOrDefault(n.Endpoint));
        return _nodes.ToDictionary(
            n => n.Endpoint,
            n => n.Background + (Share(n.Endpoint, weights, total) * _load / n.Capacity));
    }

    /// <summary>Max over mean utilization under the given weights.</summary>
    public double Imbalance(IReadOnlyDictionary<string, uint> weights)
    {
        var u = Utilization(weights).Values.ToList();
        return u.Max() / u.Average();
    }

    /// <summary>One report per node for the interval just served under the given weights.</summary>
    public IEnumerable<LoadReport> Reports(IReadOnlyDictionary<string, uint> weights)
    {
        double total = _nodes.Sum(n => (double)weights.GetValueOrDefault(n.Endpoint));
        _sequence++;
        foreach (var n in _nodes)
        {
            var rate = Share(n.Endpoint, weights, total) * _load;
            yield return new LoadReport
            {
                Service = Service,
                Endpoint = n.Endpoint,
                Zone = "zone-a",
                CpuUtilization = Math.Min(1, n.Background + (rate / n.Capacity)),
                InFlight = (uint)Math.Round(rate * 0.05),
                MaxInFlight = (uint)Math.Ceiling(n.Capacity * 0.05 * 1.5),
                RequestsPerSecond = rate,
                Sequence = _sequence,
            };
        }
    }

    public static Dictionary<string, uint> Weights(WeightSnapshot snapshot) =>
        snapshot.Endpoints.ToDictionary(e => e.Endpoint, e => e.Weight);

    /// <summary>Largest relative difference of any endpoint's weight between two snapshots.</summary>
    public static double MaxRelativeChange(WeightSnapshot before, WeightSnapshot after)
    {
        var a = Weights(before);
        var b = Weights(after);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        double sumA = a.Values.Sum(w => (double)w), sumB = b.Values.Sum(w => (double)w);
        return a.Keys.Max(k => Math.Abs((b[k] / sumB) - (a[k] / sumA)) / (a[k] / sumA));
    }

    private double Share(string endpoint, IReadOnlyDictionary<string, uint> weights, double total) =>
        total > 0 ? weights.GetValueOrDefault(endpoint) / total : 1.0 / _nodes.Length;
}
