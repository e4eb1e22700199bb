using System.Text.Json;
using Robinhood.Control.Persistence;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Persistence;
using Robinhood.V1;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Robinhood.Controller.Tests.Leadership.ShardedReplicas;

namespace Robinhood.Controller.Tests.Leadership;

/// <summary>
/// A rolling upgrade from the version before shards (one Lease, <c>robinhood-controller</c>, for every service; the
/// same hash-tagged keys): its replicas do not see the shard Leases, so an old leader and a new shard owner can
/// both take a service, and only the epochs in a real redis-server keep their writes apart. The old leader's side
/// runs that version's own scripts, as it released them, against what a new replica (in-process, on the
/// in-process Kubernetes API) does.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class UpgradeFromSingleLeaseTests(ITestOutputHelper output)
{
    private static readonly string[] Services = ["checkout", "payments", "search", "cart"];

    // The single-Lease version's scripts, copied as it released them (this version's may change; that one's will not).
    // Its write: the global epoch first (refused when Redis holds a higher one) ...
    private const string OldFenceScript = """
        local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
        local epoch = tonumber(ARGV[1])
        if stored > epoch then return stored end
        if stored < epoch then redis.call('SET', KEYS[1], ARGV[1]) end
        return 0
        """;

    // ... then one script per service in its slot, refused when the service holds a higher epoch.
    private const string OldWriteScript = """
        local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
        local epoch = tonumber(ARGV[1])
        if stored > epoch then return stored end
        if stored < epoch then redis.call('SET', KEYS[1], ARGV[1]) end
        if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2]) end
        redis.call('SET', KEYS[3], ARGV[3])
        if ARGV[5] == '1' then redis.call('PUBLISH', ARGV[4], ARGV[2]) end
        return 0
        """;

    // Its takeover: INCR epoch, then each service read and stamped with the new epoch.
    private const string OldClaimScript = """
        local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
        local epoch = tonumber(ARGV[1])
        if stored > epoch then return { stored } end
        redis.call('SET', KEYS[1], ARGV[1])
        return { 0, redis.call('GET', KEYS[2]) or '', redis.call('GET', KEYS[3]) or '' }
        """;

    [Fact]
    public async Task RollingUpgrade_OldLeaderFencedByShardOwners_OldTakeoverCannotReadTheStateButFencesThemUntilTheyRetake_WeightsCarried()
    {
        await using var setup = await ShardedReplicas.StartAsync(Services, seed: 300, redisCluster: false);
        await using var connection = await setup.ConnectRedisAsync();
        var db = connection.GetDatabase();

        // The old leader's Redis: its epoch 7, its address, every service claimed by it.
        await db.StringSetAsync("robinhood:epoch", 7);
        await db.StringSetAsync("robinhood:leader", "http://10.0.0.9:7000");
        foreach (var s in Services)
        {
            await db.StringSetAsync(Key(s, "epoch"), 7);
        }

        // A new replica starts (the rollout's first new pod) and takes every shard, each under the next epoch (8 to
        // 13), and claims their services.
        await using var replica = await setup.StartReplicaAsync("replica-new");
        var ownership = Ownership(replica);
        using var agents = new ModelledAgents(setup.Fleets, _ => replica.GrpcAddress);
        await Eventually.TrueAsync(() => ownership.Owned.Count == Shards, TimeSpan.FromSeconds(30));
        await agents.SteadyAsync();
        Assert.Equal(7L + Shards, (long)await db.StringGetAsync("robinhood:epoch"));
        var taken = await EpochsAsync(db, Services);
        Assert.All(Services, s => Assert.InRange(taken[s], 8, 7 + Shards));

        // The old leader, still running, writes with its epoch: refused at the global epoch and at every service's.
        // Nothing of it is stored: each snapshot is still the new replica's (whose own writes go on, never backwards).
        var before = (await StoredSnapshotsAsync(db)).ToDictionary(p => p.Key, p => p.Value.Version);
        Assert.Equal(7L + Shards, (long)await db.ScriptEvaluateAsync(OldFenceScript, ["robinhood:epoch"], [7]));
        var current = await EpochsAsync(db, Services);
        foreach (var s in Services)
        {
            Assert.Equal(current[s], (long)await OldWriteAsync(db, s, 7, [9, 9, 9], "{}"));
        }

        var after = await StoredSnapshotsAsync(db);
        Assert.All(Services, s => Assert.InRange(after[s].Version, before[s], ulong.MaxValue));
        var states = await Task.WhenAll(Services.Select(s => db.StringGetAsync(Key(s, "state"))));
        Assert.All(states, state => Assert.NotEqual("{}", (string?)state));

        // Another old replica takes the old Lease (its holder was replaced): the next epoch, every service claimed. It
        // cannot read the state this version stores (protobuf; it reads JSON), so its restore fails and, as that version
        // does, it writes nothing and retries. Its claim has fenced the new replica all the same: the new replica's next
        // write is refused, it gives its shards up and takes them again under a newer epoch, from its own last state.
        var old = await db.StringIncrementAsync("robinhood:epoch");
        var claimed = DateTime.UtcNow;
        var resumed = new Dictionary<string, WeightSnapshot>();
        foreach (var s in Services)
        {
            var claim = (RedisResult[])(await db.ScriptEvaluateAsync(OldClaimScript, [Key(s, "epoch"), Key(s, "snapshot"), Key(s, "state")], [old]))!;
            Assert.Equal(0L, (long)claim[0]);
            resumed[s] = WeightSnapshot.Parser.ParseFrom((byte[])claim[1]!);
            Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<ServiceControllerState>((byte[])claim[2]!, StateEncodingTests.EarlierJson));
        }

        await Eventually.TrueAsync(() => Services.All(s => ownership.Owned.TryGetValue(ownership.Map.Of(s), out var o) && o.Epoch > old), TimeSpan.FromSeconds(20));
        var retaken = DateTime.UtcNow - claimed;
        var reclaimed = await EpochsAsync(db, Services);
        Assert.All(Services, s => Assert.True(reclaimed[s] > old, $"{s} not claimed back"));

        // The old replica is fenced again; the new replica controls on from the weights stored before the claim, versions rising.
        Assert.NotEqual(0L, (long)await db.ScriptEvaluateAsync(OldFenceScript, ["robinhood:epoch"], [old]));
        foreach (var s in Services)
        {
            Assert.NotEqual(0L, (long)await OldWriteAsync(db, s, old, [9, 9, 9], "{}"));
        }

        await Eventually.TrueAsync(() => agents.Agents.Any(a => a.Latest!.Version > resumed[a.Fleet.Service].Version), TimeSpan.FromSeconds(20));
        var (largest, compared) = (0.0, 0);
        foreach (var a in agents.Agents)
        {
            var resumedVersion = resumed[a.Fleet.Service].Version;
            if (a.Snapshots.Select(p => p.Snapshot).FirstOrDefault(p => p.Version > resumedVersion) is { } next)
            {
                var change = ModelledService.MaxRelativeChange(resumed[a.Fleet.Service], next);
                Assert.True(change < 0.02, $"{a.Fleet.Service}: the new replica's first weights moved {change:P2} from those stored before the old claim");
                (largest, compared) = (Math.Max(largest, change), compared + 1);
            }
        }

        output.WriteLine($"the old leader's takeover (epoch {old}) fenced the new replica, which took its services back {retaken.TotalSeconds:F2} s later; {compared} of {Services.Length} services with new weights since, largest share change {largest:P2} from those stored before the claim");
    }

    private static string Key(string service, string what) => $"robinhood:{{{service}}}:{what}";

    private static async Task<Dictionary<string, WeightSnapshot>> StoredSnapshotsAsync(IDatabase db)
    {
        var stored = await Task.WhenAll(Services.Select(s => db.StringGetAsync(Key(s, "snapshot"))));
        return Services.Zip(stored).ToDictionary(p => p.First, p => WeightSnapshot.Parser.ParseFrom((byte[])p.Second!));
    }

    private static Task<RedisResult> OldWriteAsync(IDatabase db, string service, long epoch, byte[] snapshot, string state) =>
        db.ScriptEvaluateAsync(OldWriteScript, [Key(service, "epoch"), Key(service, "snapshot"), Key(service, "state")],
            [epoch, snapshot, state, "robinhood:snapshots", "1"]);
}
