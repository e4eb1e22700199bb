using MathNet.Numerics.Distributions;
using Robinhood.Controller.Leadership;
using Xunit.Abstractions;

namespace Robinhood.Controller.Tests.Leadership;

/// <summary>Rendezvous hashing of service names over shards: stable, spread, and moving little when shards are added.</summary>
public sealed class ShardMapTests(ITestOutputHelper output)
{
    private static readonly string[] Names = [.. Enumerable.Range(0, 10_000).Select(i => $"shop/service-{i}")];

    private static readonly string[] Words =
    [
        "payments", "checkout", "cart", "search", "orders", "inventory", "shipping", "billing", "users", "auth",
        "catalog", "pricing", "recommendations", "reviews", "notifications", "email", "sms", "gateway", "frontend", "api",
        "ads", "analytics", "reporting", "ledger", "fraud", "risk", "identity", "profile", "sessions", "media",
        "images", "video", "thumbnails", "uploads", "storage", "cache", "queue", "scheduler", "webhooks", "tax",
    ];

    // Names as teams write them: words, versions and variants, namespaces, and numbered runs (where a weak hash clusters).
    private static readonly string[] Realistic =
    [
        .. Words,
        .. Words.SelectMany(w => new[] { w + "-v2", w + "-canary", w + "-grpc" }),
        .. Words.SelectMany(w => new[] { "shop/" + w, "team-a/" + w }),
        .. Enumerable.Range(1, 500).Select(i => $"svc-{i:D4}"),
    ];

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

    /// <summary>
    /// Names spread over N shards as if each picked its shard at random: a shard's count is binomial (mean K/N, standard
    /// deviation sqrt(K/N (1 - 1/N))), so over all shards the chi-squared statistic stays below its 99.9% quantile for
    /// N - 1 degrees of freedom, and no shard is beyond four standard deviations; for every N from 3 to 16, on 740
    /// realistic names and on the 500 numbered ones alone. What docs/operations.md tells operators rests on this.
    /// </summary>
    [Fact]
    public void Of_RealisticNames_SpreadBinomiallyOverThreeToSixteenShards()
    {
        Assert.Equal(Realistic.Length, Realistic.Distinct().Count());
        foreach (var (family, names) in new[] { ("realistic", Realistic), ("svc-NNNN", Realistic.Where(n => n.StartsWith("svc-", StringComparison.Ordinal)).ToArray()) })
        {
            for (var shards = 3; shards <= 16; shards++)
            {
                var map = new ShardMap(shards);
                var counts = new int[shards];
                foreach (var name in names)
                {
                    counts[map.Of(name)]++;
                }

                var mean = (double)names.Length / shards;
                var sigma = Math.Sqrt(mean * (1 - (1.0 / shards)));
                var chiSquared = counts.Sum(c => (c - mean) * (c - mean) / mean);
                var limit = ChiSquared.InvCDF(shards - 1, 0.999);
                output.WriteLine($"{family} {names.Length} names over {shards} shards: {counts.Min()}-{counts.Max()} (mean {mean:F1}, sigma {sigma:F1}), chi-squared {chiSquared:F1} (99.9%: {limit:F1})");
                Assert.True(chiSquared < limit, $"{family} over {shards} shards: chi-squared {chiSquared:F1} above {limit:F1} ({string.Join(", ", counts)})");
                Assert.All(counts, c => Assert.InRange(c, mean - (4 * sigma), mean + (4 * sigma)));
            }
        }
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
