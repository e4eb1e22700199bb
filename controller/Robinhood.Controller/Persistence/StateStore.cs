using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Robinhood.Control.Persistence;
using Robinhood.V1;
using StackExchange.Redis;

namespace Robinhood.Controller.Persistence;

/// <summary>
/// Snapshots and controller state in Redis, fenced by a leader epoch. Keys under the prefix:
/// <c>epoch</c> (integer), <c>services</c> (set), <c>leader</c> (the leader's gRPC address),
/// <c>snapshot:&lt;service&gt;</c> (protobuf WeightSnapshot), <c>state:&lt;service&gt;</c> (JSON
/// ServiceControllerState); new snapshots are also published on the channel <c>snapshots</c>.
/// </summary>
public sealed class StateStore(RedisConnection connection, IOptions<RedisOptions> options)
{
    // KEYS: epoch, services, leader, then (snapshot, state) per service.
    // ARGV: epoch, channel, leader address, then (service, snapshot, state, publish) per service.
    // Refused, returning the stored epoch, when Redis holds a higher one: a deposed leader cannot write.
    private const string WriteScript = """
        local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
        local epoch = tonumber(ARGV[1])
        if stored > epoch then return stored end
        if stored < epoch then redis.call('SET', KEYS[1], ARGV[1]) end
        redis.call('SET', KEYS[3], ARGV[3])
        for i = 1, (#KEYS - 3) / 2 do
          local a = 3 + (i - 1) * 4
          redis.call('SADD', KEYS[2], ARGV[a + 1])
          if ARGV[a + 2] ~= '' then redis.call('SET', KEYS[2 + 2 * i], ARGV[a + 2]) end
          redis.call('SET', KEYS[3 + 2 * i], ARGV[a + 3])
          if ARGV[a + 4] == '1' then redis.call('PUBLISH', ARGV[2], ARGV[a + 2]) end
        end
        return 0
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly string _prefix = options.Value.KeyPrefix;

    /// <summary>The pub/sub channel new snapshots are published on.</summary>
    public RedisChannel SnapshotChannel => RedisChannel.Literal(_prefix + "snapshots");

    /// <summary>Takes the next leader epoch; every write made with an older one is refused from now on.</summary>
    public async Task<long> AcquireEpochAsync() =>
        await (await Database().ConfigureAwait(false)).StringIncrementAsync(_prefix + "epoch").ConfigureAwait(false);

    /// <summary>The epoch Redis holds now (0 when none).</summary>
    public async Task<long> CurrentEpochAsync() =>
        (long?)await (await Database().ConfigureAwait(false)).StringGetAsync(_prefix + "epoch").ConfigureAwait(false) ?? 0;

    /// <summary>The gRPC address of the leader that last wrote, if any.</summary>
    public async Task<string?> LeaderAddressAsync() =>
        await (await Database().ConfigureAwait(false)).StringGetAsync(_prefix + "leader").ConfigureAwait(false) is { HasValue: true } v
            ? v.ToString()
            : null;

    /// <summary>
    /// Writes every service's snapshot and state in one script, as the leader of <paramref name="epoch"/>.
    /// Returns false when Redis holds a higher epoch (nothing was written).
    /// </summary>
    public async Task<bool> WriteAsync(long epoch, string leaderAddress, IReadOnlyList<ServiceRecord> services)
    {
        var keys = new RedisKey[3 + (2 * services.Count)];
        var args = new RedisValue[3 + (4 * services.Count)];
        keys[0] = _prefix + "epoch";
        keys[1] = _prefix + "services";
        keys[2] = _prefix + "leader";
        args[0] = epoch;
        args[1] = _prefix + "snapshots";
        args[2] = leaderAddress;
        for (var i = 0; i < services.Count; i++)
        {
            var s = services[i];
            keys[3 + (2 * i)] = SnapshotKey(s.Service);
            keys[4 + (2 * i)] = StateKey(s.Service);
            args[3 + (4 * i)] = s.Service;
            args[4 + (4 * i)] = s.Snapshot is { Version: > 0 } snapshot ? snapshot.ToByteArray() : RedisValue.EmptyString;
            args[5 + (4 * i)] = JsonSerializer.SerializeToUtf8Bytes(s.State, Json);
            args[6 + (4 * i)] = s.Announce ? "1" : "0";
        }

        var db = await Database().ConfigureAwait(false);
        var result = (long)await db.ScriptEvaluateAsync(WriteScript, keys, args).ConfigureAwait(false);
        return result == 0;
    }

    /// <summary>What is stored of the services <paramref name="which"/> picks (all when null), for a replica taking shards or resyncing.</summary>
    public async Task<IReadOnlyList<StoredService>> LoadAsync(Func<string, bool>? which = null, bool withState = true)
    {
        var db = await Database().ConfigureAwait(false);
        var names = await db.SetMembersAsync(_prefix + "services").ConfigureAwait(false);
        var loaded = new List<StoredService>(names.Length);
        foreach (var name in names)
        {
            var service = name.ToString();
            if (which is not null && !which(service))
            {
                continue;
            }

            var snapshot = await db.StringGetAsync(SnapshotKey(service)).ConfigureAwait(false);
            var state = withState ? await db.StringGetAsync(StateKey(service)).ConfigureAwait(false) : RedisValue.Null;
            loaded.Add(new StoredService(
                service,
                snapshot is { HasValue: true, IsNullOrEmpty: false } ? ParseSnapshot(snapshot) : null,
                state is { HasValue: true, IsNullOrEmpty: false } ? JsonSerializer.Deserialize<ServiceControllerState>((byte[])state!, Json) : null));
        }

        return loaded;
    }

    /// <summary>Parses a snapshot as stored or published.</summary>
    public static WeightSnapshot ParseSnapshot(RedisValue value) => WeightSnapshot.Parser.ParseFrom((byte[])value!);

    private RedisKey SnapshotKey(string service) => _prefix + "snapshot:" + service;

    private RedisKey StateKey(string service) => _prefix + "state:" + service;

    private async Task<IDatabase> Database() => (await connection.GetAsync().ConfigureAwait(false)).GetDatabase();
}

/// <summary>One service as a tick leaves it: the snapshot clients hold and the state to resume from.</summary>
/// <param name="Announce">Publish the snapshot on the channel (it is new since the last write).</param>
public sealed record ServiceRecord(string Service, WeightSnapshot? Snapshot, ServiceControllerState State, bool Announce);
