using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Controller.Publish;

namespace Robinhood.Controller.Tests.Publish;

public sealed class ReleasedWatchMemoryTests
{
    [Fact]
    public void Check_ManySubscriptionsEnded_CollectsOnceTheyStop_AgainOnlyAfterMoreAndTheGap()
    {
        var time = new FakeTimeProvider();
        var cache = new SnapshotCache();
        var memory = new ReleasedWatchMemory(cache, time, NullLogger<ReleasedWatchMemory>.Instance);
        var names = Enumerable.Range(0, ReleasedWatchMemory.SubscriptionsEnded).Select(i => $"nobody-{i}").ToList();

        // Held, then all but one let go: not yet.
        var watcher = cache.Watch(names);
        memory.Check();
        watcher.Unsubscribe(names[1..]);
        memory.Check();
        Assert.Equal(0, memory.Collections);

        // The last one, by the watcher going: collected once no more end, and once only.
        watcher.Dispose();
        memory.Check();
        Assert.Equal(0, memory.Collections);
        memory.Check();
        Assert.Equal(1, memory.Collections);
        memory.Check();
        Assert.Equal(1, memory.Collections);

        // Watchers that come and go between two checks are counted; within the gap they wait for it.
        cache.Watch(names[..(names.Count / 2)]).Dispose();
        cache.Watch(names[(names.Count / 2)..]).Dispose();
        memory.Check();
        memory.Check();
        Assert.Equal(1, memory.Collections);
        time.Advance(ReleasedWatchMemory.MinimumGap);
        memory.Check();
        Assert.Equal(2, memory.Collections);
    }
}
