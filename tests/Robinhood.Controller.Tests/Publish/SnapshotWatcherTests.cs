using Microsoft.Extensions.Time.Testing;
using Robinhood.Control;
using Robinhood.Controller.Publish;
using Robinhood.Controller.Tests.Hosting;
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
            cache.Set([Snapshot("a", v)]);
        }

        cache.Set([Snapshot("b", 7)]);
        cache.Set([Snapshot("c", 9)]); // not watched

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
        Assert.Empty(only.Message.Endpoints);
    }

    [Fact]
    public async Task NextAsync_OlderVersionOfferedLate_NeverSentBackwards()
    {
        var cache = new SnapshotCache();
        using var watcher = cache.Watch(["a"]);
        cache.Set([Snapshot("a", 5)]);
        Assert.Equal(5ul, Assert.Single(await watcher.NextAsync(CancellationToken.None)).Version);

        cache.Set([Snapshot("a", 3)]);
        cache.Set([Snapshot("a", 6)]);
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

    [Fact]
    public async Task Remove_WatchedService_OffersEmptySnapshotOnceAndTheServiceAnewWhenItReturns()
    {
        var cache = new SnapshotCache();
        using var named = cache.Watch(["a"]);
        using var all = cache.Watch([]);
        all.SubscribeAll();
        cache.Set([Snapshot("a", 5)]);
        Assert.Equal(5ul, Assert.Single(await named.NextAsync(CancellationToken.None)).Version);
        Assert.Equal(5ul, Assert.Single(await all.NextAsync(CancellationToken.None)).Version);

        cache.Remove("a");
        Assert.Empty(cache.Services);
        Assert.Equal(0ul, Assert.Single(await named.NextAsync(CancellationToken.None)).Version);
        Assert.Equal(0ul, Assert.Single(await all.NextAsync(CancellationToken.None)).Version);

        cache.Set([Snapshot("a", 2)]);
        Assert.Equal(2ul, Assert.Single(await all.NextAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5))).Version);
    }

    [Fact]
    public void Dispose_WatchersOfManyUnknownServices_LeaveNoEntryBehind()
    {
        var cache = new SnapshotCache();
        var names = Enumerable.Range(0, 1_000).Select(i => $"nobody-{i}").ToList();
        var watchers = Enumerable.Range(0, 3).Select(_ => cache.Watch(names)).ToList();
        Assert.Equal(1_000, cache.WatchedServiceCount);

        watchers[0].Unsubscribe(names[..500]);
        watchers[1].Dispose();
        Assert.Equal(1_000, cache.WatchedServiceCount);
        watchers[2].Dispose();
        Assert.Equal(500, cache.WatchedServiceCount);
        watchers[0].Dispose();
        Assert.Equal(0, cache.WatchedServiceCount);
    }

    [Fact]
    public async Task Subscribe_AfterUnsubscribe_OffersTheCurrentSnapshotAgain()
    {
        var cache = new SnapshotCache();
        cache.Set([Snapshot("a", 5), Snapshot("b", 1)]);
        using var watcher = cache.Watch(["a"]);
        Assert.Equal(5ul, Assert.Single(await watcher.NextAsync(CancellationToken.None)).Version);

        watcher.Unsubscribe(["a"]);
        cache.Set([Snapshot("a", 6)]);
        watcher.Subscribe(["b", "a"]);
        var batch = await watcher.NextAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([("a", 6ul), ("b", 1ul)], batch.Select(s => (s.Service, s.Version)).OrderBy(x => x.Service));
    }

    [Fact]
    public void Set_OlderThanHeld_KeepsOnlyNewerAndRaisesPublishedWithThem()
    {
        var cache = new SnapshotCache();
        cache.Set([Snapshot("a", 5)]);
        IReadOnlyList<PublishedSnapshot>? published = null;
        cache.Published += s => published = s;

        var kept = cache.Set([Snapshot("a", 4), Snapshot("b", 1)]);

        Assert.Equal(["b"], kept.Select(s => s.Service));
        Assert.Same(kept, published);
        Assert.Equal(5ul, cache.Get("a").Version);
    }

    [Fact]
    public void Next_SameWeightsAsCached_IsNullAndAboveStoredVersionOtherwise()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_000));
        var cache = new SnapshotCache();
        var publisher = new SnapshotPublisher(cache, time);
        var weights = new ServiceWeights("a", [new WeightedEndpoint("10.0.0.1:80", "z1", 1000, EndpointPhase.Active, 0.5)], Frozen: false);

        var first = publisher.Next(weights, above: 5_000)!;
        Assert.Equal(5_001ul, first.Version);
        cache.Set([first]);
        // Utilization alone is no change a client acts on.
        Assert.Null(publisher.Next(weights with { Endpoints = [weights.Endpoints[0] with { Utilization = 0.9 }] }));

        var drained = publisher.Next(weights with { Endpoints = [weights.Endpoints[0] with { Phase = EndpointPhase.Draining }] })!;
        Assert.Equal(5_002ul, drained.Version);
        Assert.Equal(EndpointState.Draining, Assert.Single(drained.Message.Endpoints).State);
    }
}
