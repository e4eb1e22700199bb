using MathNet.Numerics.Distributions;
using Robinhood.V1;

namespace Robinhood.Controller.Demo;

/// <summary>
/// A small model of a heterogeneous fleet (capacities 4× apart, background CPU, ±1.5% noise):
/// given the published weights, what each endpoint would report next.
/// </summary>
public sealed class DemoFleet
{
    private readonly DemoOptions _options;
    private readonly double[] _capacity;
    private readonly double[] _background;
    private readonly Normal _noise;
    private long _tick;

    public DemoFleet(DemoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var random = new Random(options.Seed);
        var capacity = new ContinuousUniform(50, 200, random);
        var background = new ContinuousUniform(0.02, 0.08, random);
        _capacity = [.. Enumerable.Range(0, options.Endpoints).Select(_ => capacity.Sample())];
        _background = [.. Enumerable.Range(0, options.Endpoints).Select(_ => background.Sample())];
        _noise = new Normal(0, 0.015, random);
        Endpoints = [.. Enumerable.Range(0, options.Endpoints).Select(i => $"10.42.{i / 250}.{(i % 250) + 1}:8080")];
    }

    public IReadOnlyList<string> Endpoints { get; }

    /// <summary>Serves one second of load split by <paramref name="weights"/> and returns each endpoint's report.</summary>
    public IReadOnlyList<LoadReport> Step(IReadOnlyDictionary<string, uint> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        _tick++;
        var disturbed = _options.DisturbEvery > 0 && _tick / _options.DisturbEvery % 2 == 1 ? 0 : -1;
        var demand = _options.Load * _capacity.Sum();
        double total = Endpoints.Sum(e => (double)weights.GetValueOrDefault(e));
        var reports = new LoadReport[Endpoints.Count];
        for (var i = 0; i < Endpoints.Count; i++)
        {
            var share = total > 0 ? weights.GetValueOrDefault(Endpoints[i]) / total : 1.0 / Endpoints.Count;
            var arrivals = demand * share;
            var capacity = _capacity[i] * (i == disturbed ? 0.5 : 1);
            var rho = _background[i] + arrivals / capacity;
            var latency = 0.02 / (1 - Math.Min(rho, 0.95));
            reports[i] = new LoadReport
            {
                Service = _options.Service,
                Endpoint = Endpoints[i],
                Zone = $"zone-{(char)('a' + (i % 3))}",
                CpuUtilization = Math.Clamp(rho * (1 + _noise.Sample()), 0, 1),
                InFlight = (uint)Math.Round(arrivals * latency),
                MaxInFlight = (uint)Math.Round(capacity * 0.1),
                RequestsPerSecond = Math.Max(0, arrivals * (1 + _noise.Sample())),
            };
        }

        return reports;
    }
}
