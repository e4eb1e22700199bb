namespace Robinhood.Client.Tests.Support;

/// <summary>Counts where requests went and compares the split with the weights.</summary>
public static class Split
{
    /// <summary>Largest |observed share − expected share| / expected share over the backends.</summary>
    public static double MaxRelativeError(IReadOnlyDictionary<string, int> counts, IReadOnlyDictionary<string, uint> weights)
    {
        var total = (double)counts.Values.Sum();
        var weightSum = (double)weights.Values.Sum(w => (long)w);
        return weights
            .Where(w => w.Value > 0)
            .Max(w => Math.Abs((counts.GetValueOrDefault(w.Key) / total) - (w.Value / weightSum)) / (w.Value / weightSum));
    }

    /// <summary>Total-variation distance between the observed split and the weights.</summary>
    public static double TotalVariation(IReadOnlyDictionary<string, int> counts, IReadOnlyDictionary<string, uint> weights)
    {
        var total = (double)counts.Values.Sum();
        var weightSum = (double)weights.Values.Sum(w => (long)w);
        var keys = counts.Keys.Union(weights.Keys);
        return keys.Sum(k => Math.Abs((counts.GetValueOrDefault(k) / total) - (weights.GetValueOrDefault(k) / weightSum))) / 2;
    }
}
