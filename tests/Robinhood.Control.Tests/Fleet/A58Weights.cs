namespace Robinhood.Control.Tests.Fleet;

/// <summary>gRFC A58's weighted_round_robin weight: qps / cpu utilization of the latest report.</summary>
internal sealed class A58Weights
{
    public Dictionary<string, double> Weights { get; } = new(StringComparer.Ordinal);

    public void Observe(EndpointLoad load)
    {
        if (load.RequestsPerSecond > 0 && load.CpuUtilization > 0)
        {
            Weights[load.Endpoint] = load.RequestsPerSecond / load.CpuUtilization;
        }
        else if (!Weights.ContainsKey(load.Endpoint))
        {
            // No estimate yet: A58 uses the mean weight (here: equal shares to start).
            Weights[load.Endpoint] = Weights.Count == 0 ? 1 : Weights.Values.Average();
        }
    }

    /// <summary>Runs the fleet under A58 and returns each tick's imbalance.</summary>
    public static double[] Run(ModelledFleet fleet, int ticks)
    {
        var a58 = new A58Weights();
        var result = new double[ticks];
        for (var i = 0; i < ticks; i++)
        {
            result[i] = fleet.Serve(new Dictionary<string, double>(a58.Weights), a58.Observe);
        }

        return result;
    }
}
