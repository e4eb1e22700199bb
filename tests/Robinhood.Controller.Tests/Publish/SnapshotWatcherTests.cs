using Robinhood.Controller.Publish;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Publish;

public sealed class SnapshotWatcherTests
{
    private static WeightSnapshot Snapshot(string service, ulong version) => new() { Service = service, Version = version };

    [Fact]
    public async Task NextAsync_UnreadWhileManyPublished_ReturnsOnlyTheLatestPerService()
    {
        var cache = new SnapshotCache();
        using var watcher = cache.Watch(["a", "b"]);
        for (ulong v = 1; v <= 1000; v++)
        {
            cache.Publish(Snapshot("a", v));
        }

        cache.Publish(Snapshot("b", 7));
        cache.Publish(Snapshot("c", 9)); // not watched

        var batch = await watcher.NextAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([("a", 1000ul), ("b", 7ul)], batch.Select(s => (s.Service, s.Version)).OrderBy(x => x.Service));
    }

    [Fact]
    public async Task Watch_UnknownService_OffersEmptySnapshotAtVersionZero()
    {
        var cache = new SnapshotCache();
        using var watcher = cache.Watch(["nobody"]);
        var batch = await watcher.NextAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        var only = Assert.Single(batch);
        Assert.Equal(0ul, only.Version);
        Assert.Empty(only.Endpoints);
    }

    [Fact]
    public async Task NextAsync_OlderVersionOfferedLate_NeverSentBackwards()
    {
        var cache = new SnapshotCache();
        using var watcher = cache.Watch(["a"]);
        cache.Publish(Snapshot("a", 5));
        Assert.Equal(5ul, Assert.Single(await watcher.NextAsync(CancellationToken.None)).Version);

        cache.Publish(Snapshot("a", 3));
        cache.Publish(Snapshot("a", 6));
        Assert.Equal(6ul, Assert.Single(await watcher.NextAsync(CancellationToken.None)).Version);
        Assert.Equal(6ul, cache.Get("a").Version);
    }

    [Fact]
    public void Dispose_RemovesWatcherFromCache()
    {
        var cache = new SnapshotCache();
        var watcher = cache.Watch(["a"]);
        Assert.Equal(1, cache.WatcherCount);
        watcher.Dispose();
        Assert.Equal(0, cache.WatcherCount);
    }

    [Fact]
    public void NextVersion_RestartedWithoutState_StaysAboveVersionsOfEarlierRun()
    {
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var v = SnapshotPublisher.NextVersion(0, t0);
        for (var i = 0; i < 100; i++)
        {
            v = SnapshotPublisher.NextVersion(v, t0.AddMilliseconds(i));
        }

        // A restart one second later starts from nothing yet lands above every earlier version.
        Assert.True(SnapshotPublisher.NextVersion(0, t0.AddSeconds(1)) > v);
        Assert.Equal(v + 1, SnapshotPublisher.NextVersion(v, t0));
    }
}
