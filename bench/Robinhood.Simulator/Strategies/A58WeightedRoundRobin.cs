using Robinhood.Control;

namespace Robinhood.Simulator.Strategies;

/// <summary>
/// gRPC's weighted_round_robin (gRFC A58): weight = qps / utilization from each endpoint's reports,
/// recomputed every second; a weight is used only after a 10 s blackout since reports began and
/// expires 3 min after the last report (then blackout starts over). Endpoints without a usable weight
/// get the mean. The static-stride scheduler caps weights at 10× and floors them at 0.01× the mean
/// and quantizes them to 16 bits; over a tick it sends exactly in proportion.
/// </summary>
public sealed class A58WeightedRoundRobin : IRoutingStrategy
{
    public static readonly TimeSpan Blackout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(3);

    private const double MaxRatio = 10;
    private const double MinRatio = 0.01;
    private const double MaxWeight = ushort.MaxValue;

    private readonly Dictionary<string, EndpointWeight> _weights = [];

    public string Name => "a58-wrr";

    /// <summary>Scheduler weights of the last tick, by node index (0 for non-members).</summary>
    public IReadOnlyList<double> LastWeights { get; private set; } = [];

    public void Route(RoutingTick tick, IReadOnlyList<EndpointLoad> reports, Span<double> arrivals)
    {
        ArgumentNullException.ThrowIfNull(tick);
        ArgumentNullException.ThrowIfNull(reports);
        foreach (var r in reports)
        {
            var w = _weights.TryGetValue(r.Endpoint, out var known) ? known : _weights[r.Endpoint] = new EndpointWeight();
            if (r.CpuUtilization > 0 && r.RequestsPerSecond > 0)
            {
                w.NonEmptySince ??= tick.Tick;
                w.LastUpdated = tick.Tick;
                w.Value = r.RequestsPerSecond / r.CpuUtilization;
            }
        }

        var raw = new double[tick.Members.Count];
        for (var k = 0; k < raw.Length; k++)
        {
            raw[k] = Usable(tick.Nodes[tick.Members[k]].Endpoint, tick.Tick);
        }

        var weights = Schedule(raw);
        var all = new double[tick.Nodes.Count];
        var total = weights.Sum();
        for (var k = 0; k < weights.Length; k++)
        {
            all[tick.Members[k]] = weights[k];
            arrivals[tick.Members[k]] = tick.Demand * weights[k] / total;
        }

        LastWeights = all;
    }

    /// <summary>The static-stride scheduler's integer weights for raw weights (0 = none yet).</summary>
    public static double[] Schedule(IReadOnlyList<double> raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var known = raw.Where(w => w > 0).ToArray();
        if (known.Length == 0)
        {
            return [.. raw.Select(_ => 1.0)];
        }

        var mean = known.Average();
        var bounded = raw.Select(w => w > 0 ? Math.Clamp(w, mean * MinRatio, mean * MaxRatio) : mean).ToArray();
        var scale = MaxWeight / bounded.Max();
        return [.. bounded.Select(w => Math.Max(1, Math.Round(w * scale)))];
    }

    private double Usable(string endpoint, int now)
    {
        if (!_weights.TryGetValue(endpoint, out var w) || w.NonEmptySince is null)
        {
            return 0;
        }

        if (now - w.LastUpdated >= Expiry.TotalSeconds)
        {
            w.NonEmptySince = null;
            return 0;
        }

        return now - w.NonEmptySince.Value < Blackout.TotalSeconds ? 0 : w.Value;
    }

    private sealed class EndpointWeight
    {
        public int? NonEmptySince { get; set; }

        public int LastUpdated { get; set; }

        public double Value { get; set; }
    }
}
