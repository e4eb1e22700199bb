using Robinhood.Controller.Publish;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Hosting;

/// <summary>Tests publish snapshots they build as messages; the cache takes them as their bytes.</summary>
public static class SnapshotCacheMessages
{
    public static IReadOnlyList<PublishedSnapshot> Set(this SnapshotCache cache, IReadOnlyCollection<WeightSnapshot> snapshots)
    {
        ArgumentNullException.ThrowIfNull(cache);
        return cache.Set([.. snapshots.Select(PublishedSnapshot.Of)]);
    }
}
