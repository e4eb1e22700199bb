using Robinhood.Controller.Leadership;

namespace Robinhood.Controller.Tests.Leadership;

/// <summary>Rendezvous hashing of service names over shards: stable, spread, and moving little when shards are added.</summary>
public sealed class ShardMapTests
{
    private static readonly string[] Names = [.. Enumerable.Range(0, 10_000).Select(i => $"shop/service-{i}")];

    [Fact]
    public void Of_SameName_SameShardOnEveryMap()
    {
        var (a, b) = (new ShardMap(16), new ShardMap(16));
        Assert.All(Names, n => Assert.Equal(a.Of(n), b.Of(n)));
        Assert.All(Names, n => Assert.InRange(a.Of(n), 0, 15));
        Assert.Equal(0, new ShardMap(1).Of("checkout"));
    }

    [Fact]
    public void Of_TenThousandNames_EachOfSixteenShardsHoldsWithinTenPercentOfItsShare()
    {
        var map = new ShardMap(16);
        var sizes = Names.GroupBy(map.Of).Select(g => g.Count()).ToList();
        Assert.Equal(16, sizes.Count);
        // A share is 625; binomial spread is about 24, so ±62 is over 2.5 sigma.
        Assert.All(sizes, n => Assert.InRange(n, 563, 687));
    }

    [Fact]
    public void Of_OneShardAdded_OnlyServicesMovingToTheNewShardMove()
    {
        var (before, after) = (new ShardMap(8), new ShardMap(9));
        var moved = Names.Where(n => before.Of(n) != after.Of(n)).ToList();
        Assert.All(moved, n => Assert.Equal(8, after.Of(n)));
        // About one in nine moves (1,111); none of the others changes shard.
        Assert.InRange(moved.Count, 1000, 1222);
    }

    [Fact]
    public void Of_NameLongerThanTheStackBuffer_IsPlacedLikeAnyOther()
    {
        var map = new ShardMap(4);
        var name = new string('x', 2000);
        Assert.Equal(map.Of(name), new ShardMap(4).Of(name));
    }
}
