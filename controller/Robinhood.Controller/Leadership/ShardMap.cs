using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace Robinhood.Controller.Leadership;

/// <summary>
/// The shards services are spread over, and each service's shard by rendezvous hashing of its name: the shard
/// with the highest hash of (name, shard) wins, so every replica computes the same answer from the name alone.
/// </summary>
public sealed class ShardMap
{
    public ShardMap(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = count;
    }

    public int Count { get; }

    /// <summary>Every shard, 0 to <see cref="Count"/> - 1.</summary>
    public IEnumerable<int> All => Enumerable.Range(0, Count);

    /// <summary>The shard of a service.</summary>
    public int Of(string service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (Count == 1)
        {
            return 0;
        }

        var max = Encoding.UTF8.GetMaxByteCount(service.Length);
        byte[]? rented = null;
        var buffer = max <= 1024 ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var name = buffer[..Encoding.UTF8.GetBytes(service, buffer)];
            var best = 0;
            var bestScore = 0UL;
            for (var shard = 0; shard < Count; shard++)
            {
                var score = XxHash3.HashToUInt64(name, seed: shard);
                if (shard == 0 || score > bestScore)
                {
                    (best, bestScore) = (shard, score);
                }
            }

            return best;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
