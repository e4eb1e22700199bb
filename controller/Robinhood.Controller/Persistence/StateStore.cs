using Google.Protobuf;
using Microsoft.Extensions.Options;
using Robinhood.Control.Persistence;
using Robinhood.Controller.Publish;
using Robinhood.V1;
using StackExchange.Redis;

namespace Robinhood.Controller.Persistence;

/// <summary>
/// Snapshots and controller state in Redis (one server or a Redis Cluster), each service fenced by the epoch of
/// the replica that took its shard last. Keys under the prefix: <c>epoch</c> (the counter every take
/// increments), <c>services</c> (set), and per service, hash-tagged by its name so they share one Cluster slot:
/// <c>{&lt;service&gt;}:snapshot</c> (protobuf WeightSnapshot), <c>{&lt;service&gt;}:state</c> (protobuf
/// StoredState, see <see cref="StateEncoding"/>; JSON from versions before) and <c>{&lt;service&gt;}:epoch</c> (the epoch of the owner that last wrote or
/// claimed it). Every script touches one slot. Fencing is per service, not global: replicas owning
/// different shards write under different epochs side by side. New snapshots are also published on the channel
/// <c>snapshots</c>, and a forgotten service's empty snapshot (version 0) when its keys are deleted.
/// </summary>
public sealed class StateStore(RedisConnection connection, IOptions<RedisOptions> options)
{
    /// <summary>Services written per batch: a write's commands in flight stay bounded at any fleet size.</summary>
    private const int Batch = 256;

    // KEYS: the service's epoch, snapshot, state. ARGV: epoch, snapshot ('' = keep), state, channel, publish.
    // Refused, returning the service's epoch, when a newer leader has written or claimed the service.
    private const string WriteScript = """
        local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
        local epoch = tonumber(ARGV[1])
        if stored > epoch then return stored end
        if stored < epoch then redis.call('SET', KEYS[1], ARGV[1]) end
        if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2]) end
        redis.call('SET', KEYS[3], ARGV[3])
        if ARGV[5] == '1' then redis.call('PUBLISH', ARGV[4], ARGV[2]) end
        return 0
        """;

    // KEYS: the service's epoch, snapshot, state. ARGV: the new leader's epoch. Returns {0, snapshot, state}
    // and from now on refuses every write of an older epoch; {stored} when a newer leader claimed it first.
    private const string ClaimScript = """
        local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
        local epoch = tonumber(ARGV[1])
        if stored > epoch then return { stored } end
        redis.call('SET', KEYS[1], ARGV[1])
        return { 0, redis.call('GET', KEYS[2]) or '', redis.call('GET', KEYS[3]) or '' }
        """;

    // KEYS: the service's epoch, snapshot, state. ARGV: epoch, channel, the empty snapshot. Deletes the service
    // and publishes its empty snapshot; refused, returning the service's epoch, like WriteScript.
    private const string ForgetScript = """
        local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
        if stored > tonumber(ARGV[1]) then return stored end
        redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
        redis.call('PUBLISH', ARGV[2], ARGV[3])
        return 0
        """;

    private readonly string _prefix = options.Value.KeyPrefix;

    /// <summary>The pub/sub channel new snapshots are published on.</summary>
    public RedisChannel SnapshotChannel => RedisChannel.Literal(_prefix + "snapshots");

    /// <summary>Takes the next epoch, above every one taken before, for a replica taking shards (it claims their services with it).</summary>
    public async Task<long> AcquireEpochAsync() =>
        await (await Database().ConfigureAwait(false)).StringIncrementAsync(_prefix + "epoch").ConfigureAwait(false);

    /// <summary>The epoch Redis holds now (0 when none).</summary>
    public async Task<long> CurrentEpochAsync() =>
        (long?)await (await Database().ConfigureAwait(false)).StringGetAsync(_prefix + "epoch").ConfigureAwait(false) ?? 0;

    /// <summary>
    /// Writes the services' snapshots and states as their owner under <paramref name="epoch"/>: one script per
    /// service (each in its service's slot), <see cref="Batch"/> services at a time, then the service names.
    /// Returns false when Redis holds a higher epoch for any of them: a newer owner took their shard.
    /// </summary>
    public async Task<bool> WriteAsync(long epoch, IReadOnlyList<ServiceRecord> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var db = await Database().ConfigureAwait(false);

        var names = new RedisValue[services.Count];
        for (var i = 0; i < services.Count; i++)
        {
            names[i] = services[i].Service;
        }

        var written = true;
        for (var from = 0; from < services.Count; from += Batch)
        {
            var count = Math.Min(Batch, services.Count - from);
            var batch = new Task<RedisResult>[count];
            for (var i = 0; i < count; i++)
            {
                var s = services[from + i];
                batch[i] = db.ScriptEvaluateAsync(
                    WriteScript,
                    [EpochKey(s.Service), SnapshotKey(s.Service), StateKey(s.Service)],
                    [
                        epoch,
                        s.Snapshot is { Version: > 0 } snapshot ? snapshot.Bytes : RedisValue.EmptyString,
                        StateEncoding.Encode(s.State),
                        _prefix + "snapshots",
                        s.Announce ? "1" : "0",
                    ]);
            }

            foreach (var result in await Task.WhenAll(batch).ConfigureAwait(false))
            {
                written &= (long)result == 0;
            }
        }

        if (!written)
        {
            return false;
        }

        if (names.Length > 0)
        {
            await db.SetAddAsync(_prefix + "services", names).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>
    /// Deletes forgotten services as their owner under <paramref name="epoch"/> (fenced per service like
    /// <see cref="WriteAsync"/>, one script per service in its slot) and publishes each one's empty snapshot
    /// (version 0), which other replicas take as "forget it"; then takes them out of the service names. False
    /// when a newer owner took their shard.
    /// </summary>
    public async Task<bool> ForgetAsync(long epoch, IReadOnlyList<string> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var db = await Database().ConfigureAwait(false);
        var forgotten = true;
        foreach (var chunk in services.Chunk(Batch))
        {
            var deletes = chunk.Select(s => db.ScriptEvaluateAsync(
                ForgetScript,
                [EpochKey(s), SnapshotKey(s), StateKey(s)],
                [epoch, _prefix + "snapshots", new WeightSnapshot { Service = s, Version = 0 }.ToByteArray()])).ToArray();
            foreach (var result in await Task.WhenAll(deletes).ConfigureAwait(false))
            {
                forgotten &= (long)result == 0;
            }
        }

        if (forgotten && services.Count > 0)
        {
            await db.SetRemoveAsync(_prefix + "services", [.. services.Select(s => (RedisValue)s)]).ConfigureAwait(false);
        }

        return forgotten;
    }

    /// <summary>
    /// What is stored of the services <paramref name="which"/> picks (all when null): snapshot, and the state of those
    /// <paramref name="withState"/> picks (all when null); read only, for a replica resyncing.
    /// </summary>
    public async Task<IReadOnlyList<StoredService>> LoadAsync(Func<string, bool>? which = null, Func<string, bool>? withState = null)
    {
        var db = await Database().ConfigureAwait(false);
        var names = await NamesAsync(db, which).ConfigureAwait(false);
        var loaded = new List<StoredService>(names.Length);
        foreach (var chunk in names.Chunk(Batch))
        {
            var snapshots = chunk.Select(n => db.StringGetAsync(SnapshotKey(n))).ToArray();
            var states = chunk.Select(n => withState?.Invoke(n) ?? true ? db.StringGetAsync(StateKey(n)) : Task.FromResult(RedisValue.Null)).ToArray();
            await Task.WhenAll([.. snapshots, .. states]).ConfigureAwait(false);
            for (var i = 0; i < chunk.Length; i++)
            {
                loaded.Add(Stored(chunk[i], await snapshots[i].ConfigureAwait(false), await states[i].ConfigureAwait(false)));
            }
        }

        return loaded;
    }

    /// <summary>The stored state of one service (null when none); read only.</summary>
    public async Task<ServiceControllerState?> LoadStateAsync(string service)
    {
        var state = await (await Database().ConfigureAwait(false)).StringGetAsync(StateKey(service)).ConfigureAwait(false);
        return state.IsNullOrEmpty ? null : StateEncoding.Decode((byte[])state!);
    }

    /// <summary>
    /// A replica taking shards with <paramref name="epoch"/>: reads the snapshot and state of every service
    /// <paramref name="which"/> picks (all when null) and, in the
    /// same script, stamps the service with the epoch, so a deposed leader's later write of it is refused.
    /// A service with nothing under the hash-tagged keys is read once from the keys of the layout before
    /// them (<c>snapshot:&lt;service&gt;</c>, <c>state:&lt;service&gt;</c>); the next write stores it under the new ones.
    /// Throws when a newer leader claimed a service first (this takeover is already stale).
    /// </summary>
    public async Task<IReadOnlyList<StoredService>> ClaimAsync(long epoch, Func<string, bool>? which = null)
    {
        var db = await Database().ConfigureAwait(false);
        var names = await NamesAsync(db, which).ConfigureAwait(false);
        var claimed = new List<StoredService>(names.Length);
        foreach (var chunk in names.Chunk(Batch))
        {
            var claims = chunk.Select(s => db.ScriptEvaluateAsync(ClaimScript, [EpochKey(s), SnapshotKey(s), StateKey(s)], [epoch])).ToArray();
            var results = await Task.WhenAll(claims).ConfigureAwait(false);
            for (var i = 0; i < chunk.Length; i++)
            {
                var service = chunk[i];
                var result = (RedisResult[])results[i]!;
                if ((long)result[0] != 0)
                {
                    throw new InvalidOperationException($"service '{service}' is held by leader epoch {(long)result[0]}, above ours ({epoch})");
                }

                var snapshot = (RedisValue)result[1];
                var state = (RedisValue)result[2];
                if (snapshot.IsNullOrEmpty && state.IsNullOrEmpty)
                {
                    snapshot = await db.StringGetAsync(_prefix + "snapshot:" + service).ConfigureAwait(false);
                    state = await db.StringGetAsync(_prefix + "state:" + service).ConfigureAwait(false);
                }

                claimed.Add(Stored(service, snapshot, state));
            }
        }

        return claimed;
    }

    private async Task<string[]> NamesAsync(IDatabase db, Func<string, bool>? which) =>
        [.. (await db.SetMembersAsync(_prefix + "services").ConfigureAwait(false)).Select(n => n.ToString()).Where(n => which?.Invoke(n) ?? true)];

    /// <summary>Parses a snapshot as stored or published.</summary>
    public static WeightSnapshot ParseSnapshot(RedisValue value) => WeightSnapshot.Parser.ParseFrom((byte[])value!);

    private static StoredService Stored(string service, RedisValue snapshot, RedisValue state) => new(
        service,
        snapshot.IsNullOrEmpty ? null : ParseSnapshot(snapshot),
        state.IsNullOrEmpty ? null : StateEncoding.Decode((byte[])state!));

    // The service in braces is the Redis Cluster hash tag: the three keys of a service hash to one slot.
    private RedisKey SnapshotKey(string service) => _prefix + "{" + service + "}:snapshot";

    private RedisKey StateKey(string service) => _prefix + "{" + service + "}:state";

    private RedisKey EpochKey(string service) => _prefix + "{" + service + "}:epoch";

    private async Task<IDatabase> Database() => (await connection.GetAsync().ConfigureAwait(false)).GetDatabase();
}

/// <summary>One service as a tick leaves it: the snapshot clients hold and the state to resume from.</summary>
/// <param name="Announce">Publish the snapshot on the channel (it is new since the last write).</param>
public sealed record ServiceRecord(string Service, PublishedSnapshot? Snapshot, ServiceControllerState State, bool Announce);
