using Microsoft.Extensions.Time.Testing;

namespace Robinhood.Control.Tests.Fleet;

/// <summary>A <see cref="ModelledFleet"/> balanced by a <see cref="ServiceController"/> on a fake clock.</summary>
internal sealed class ControlledFleet
{
    private readonly Dictionary<string, double> _weights = new(StringComparer.Ordinal);

    public ControlledFleet(ModelledFleet fleet, ControlOptions options, TimeSpan interval)
    {
        Fleet = fleet;
        Interval = interval;
        Controller = new ServiceController("svc", options, Time);
    }

    public ModelledFleet Fleet { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public ServiceController Controller { get; }

    public TimeSpan Interval { get; }

    public ServiceWeights? Last { get; private set; }

    /// <summary>Serves one interval, delivers the reports, advances the clock and ticks.</summary>
    /// <returns>Max over mean utilization during the interval served.</returns>
    public double Step()
    {
        var imbalance = Fleet.Serve(_weights, Controller.Observe);
        Time.Advance(Interval);
        Last = Controller.Tick();
        _weights.Clear();
        foreach (var e in Last.Endpoints)
        {
            _weights[e.Endpoint] = e.Weight;
        }

        return imbalance;
    }

    /// <summary>Runs ticks and returns the imbalance of each.</summary>
    public double[] Run(int ticks)
    {
        var result = new double[ticks];
        for (var i = 0; i < ticks; i++)
        {
            result[i] = Step();
        }

        return result;
    }

    public WeightedEndpoint Endpoint(string name) => Last!.Endpoints.Single(e => e.Endpoint == name);
}
