using Robinhood.Control;

namespace Robinhood.Controller.Control;

/// <summary>How evenly a service is loaded: max and mean utilization over its ACTIVE endpoints.</summary>
public readonly record struct ServiceStatistics(double Max, double Mean, int Active)
{
    /// <summary>Max over mean utilization; 1 is perfect balance, 0 when nothing is active.</summary>
    public double MaxOverAverage => Active > 0 && Mean > 0 ? Max / Mean : 0;

    public static ServiceStatistics Of(ServiceWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        double max = 0, sum = 0;
        var active = 0;
        foreach (var e in weights.Endpoints)
        {
            if (e.Phase == EndpointPhase.Active)
            {
                max = Math.Max(max, e.Utilization);
                sum += e.Utilization;
                active++;
            }
        }

        return new ServiceStatistics(max, active > 0 ? sum / active : 0, active);
    }
}
