using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using Robinhood.Controller.Control;
using Robinhood.Controller.Hosting;

namespace Robinhood.Controller.Leadership;

/// <summary>
/// Which shards this replica owns, and where the owners of the others are (for forwarding reports). Taking or
/// losing a shard starts or stops every registered <see cref="IShardWork"/> here, in one place: the tick, the
/// Redis writer, the metrics of controlled services and membership follow ownership instead of asking for it.
/// A lost shard's services leave the <see cref="Fleet"/>: their new owner controls them.
/// </summary>
public sealed partial class Ownership
{
    private readonly Lock _changing = new();
    private readonly IServiceProvider _services;
    private readonly Fleet _fleet;
    private readonly TimeProvider _time;
    private readonly ILogger<Ownership> _logger;
    private readonly ShardOwner?[] _owners;
    private volatile ImmutableDictionary<int, OwnedShard> _owned = ImmutableDictionary<int, OwnedShard>.Empty;
    private IShardWork[]? _works;

    public Ownership(ShardMap map, IConfiguration configuration, IOptions<LeadershipOptions> options, Fleet fleet, IServiceProvider services, TimeProvider time, ILogger<Ownership> logger)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        Map = map;
        _fleet = fleet;
        _services = services;
        _time = time;
        _logger = logger;
        _owners = new ShardOwner?[map.Count];
        Elected = configuration.GetValue<bool>("Robinhood:Kubernetes:Enabled");
        AdvertisedAddress = Advertise(options.Value.AdvertiseAddress, configuration["Kestrel:Endpoints:Grpc:Url"] ?? "http://0.0.0.0:7000");
        AdvertisedHttpAddress = Advertise(options.Value.AdvertiseHttpAddress, configuration["Kestrel:Endpoints:Http:Url"] ?? "http://0.0.0.0:7001");
        foreach (var shard in map.All)
        {
            ControllerMetrics.ShardOwned.WithLabels(Label(shard)).Set(0);
        }
    }

    public ShardMap Map { get; }

    /// <summary>Shards are elected (Kubernetes Leases); otherwise this process owns every shard and never forwards.</summary>
    public bool Elected { get; }

    /// <summary>This replica's gRPC address, as other replicas reach it.</summary>
    public string AdvertisedAddress { get; }

    /// <summary>This replica's Http (admin API) address, as other replicas reach it.</summary>
    public string AdvertisedHttpAddress { get; }

    /// <summary>The shards this replica owns now.</summary>
    public IReadOnlyDictionary<int, OwnedShard> Owned => _owned;

    /// <summary>Whether this replica controls the service (owns its shard).</summary>
    public bool Owns(string service) => _owned.ContainsKey(Map.Of(service));

    /// <summary>The shard's owner as last seen; null while unknown.</summary>
    public ShardOwner? Owner(int shard) => Volatile.Read(ref _owners[shard]);

    /// <summary>The gRPC address of the shard's owner as last seen; null while unknown.</summary>
    public string? OwnerAddress(int shard) => Owner(shard)?.GrpcAddress;

    /// <summary>Whether the shard's owner as last seen is this replica (it holds the Lease, perhaps still restoring).</summary>
    public bool IsSelf(ShardOwner owner) => owner is not null && owner.GrpcAddress == AdvertisedAddress;

    /// <summary>Records where a shard's owner is (from its Lease).</summary>
    internal void SeeOwner(int shard, ShardOwner? owner) => Volatile.Write(ref _owners[shard], owner);

    /// <summary>Takes a shard whose state has been restored: every shard work starts on it.</summary>
    internal OwnedShard Acquire(int shard, long epoch)
    {
        lock (_changing)
        {
            var owned = new OwnedShard(shard, epoch, _time.GetUtcNow());
            if (_owned.ContainsKey(shard))
            {
                StopWorks(shard);
            }

            _owned = _owned.SetItem(shard, owned);
            SeeOwner(shard, new ShardOwner(AdvertisedAddress, AdvertisedHttpAddress));
            foreach (var work in Works())
            {
                work.Start(owned);
            }

            Changed(shard, 1);
            LogAcquired(shard, epoch);
            return owned;
        }
    }

    /// <summary>Gives a shard up: every shard work stops on it and its services leave the fleet.</summary>
    internal void Release(int shard, string why)
    {
        lock (_changing)
        {
            if (!_owned.ContainsKey(shard))
            {
                return;
            }

            _owned = _owned.Remove(shard);
            if (Owner(shard) is { } owner && IsSelf(owner))
            {
                SeeOwner(shard, null);
            }

            StopWorks(shard);
            foreach (var service in _fleet.Services.Where(s => Map.Of(s) == shard).ToList())
            {
                _fleet.Remove(service);
            }

            Changed(shard, 0);
            LogReleased(shard, why);
        }
    }

    internal static string Label(int shard) => shard.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private void StopWorks(int shard)
    {
        foreach (var work in Works())
        {
            work.Stop(shard);
        }
    }

    private void Changed(int shard, int owned)
    {
        ControllerMetrics.ShardOwned.WithLabels(Label(shard)).Set(owned);
        ControllerMetrics.Leader.Set(_owned.IsEmpty ? 0 : 1);
    }

    // Resolved at the first change, not in the constructor: shard works depend on services that depend on this.
    private IShardWork[] Works() => _works ??= [.. _services.GetServices<IShardWork>()];

    /// <summary>The configured address, else the listening URL with a wildcard host replaced by POD_IP or the host name.</summary>
    private static string Advertise(string? configured, string listenUrl)
    {
        if (configured is { Length: > 0 })
        {
            return configured.TrimEnd('/');
        }

        var host = Environment.GetEnvironmentVariable("POD_IP") is { Length: > 0 } ip ? ip : Environment.MachineName;
        return ListenAddress.Dialable(listenUrl, host);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This replica now owns shard {Shard} (epoch {Epoch})")]
    private partial void LogAcquired(int shard, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This replica no longer owns shard {Shard}: {Why}")]
    private partial void LogReleased(int shard, string why);
}
