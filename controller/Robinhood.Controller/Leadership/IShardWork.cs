namespace Robinhood.Controller.Leadership;

/// <summary>
/// Work that runs only for the shards this replica owns (controller-runtime's NeedLeaderElection): started when
/// the replica takes a shard (its state restored), stopped when it loses it. Registered once with
/// <see cref="LeadershipServiceCollectionExtensions.AddShardWork{T}"/>; <see cref="Ownership"/> alone calls it.
/// Both calls must be quick: they run while ownership changes.
/// </summary>
public interface IShardWork
{
    void Start(OwnedShard shard);

    void Stop(int shard);
}

/// <summary>A shard this replica owns: the Redis fencing epoch it writes under (0 without Redis) and when it took it (the grace counts from here).</summary>
public sealed record OwnedShard(int Shard, long Epoch, DateTimeOffset Since);
