using System.Diagnostics.CodeAnalysis;

namespace Robinhood.Client.Picking;

/// <summary>
/// One random draw by weight among the items a filter allows: where a retry goes. Not a walk of the pick cycle, whose
/// runs of a heavy item can outlast any bounded walk when that item is the one to avoid.
/// </summary>
internal static class WeightedDraw
{
    /// <summary>An allowed item with a positive weight, each with its share of their weights; false when there is none.</summary>
    /// <param name="random">Shared: locked for the draw.</param>
    public static bool TryDraw<T>(IReadOnlyList<T> items, Func<T, uint> weightOf, Func<T, bool> allowed, Random random, [NotNullWhen(true)] out T? drawn)
        where T : notnull
    {
        long total = 0;
        foreach (var item in items)
        {
            total += allowed(item) ? weightOf(item) : 0;
        }

        if (total > 0)
        {
            long point;
            lock (random)
            {
                point = random.NextInt64(total);
            }

            foreach (var item in items)
            {
                point -= allowed(item) ? weightOf(item) : 0;
                if (point < 0)
                {
                    drawn = item;
                    return true;
                }
            }
        }

        drawn = default;
        return false;
    }
}
