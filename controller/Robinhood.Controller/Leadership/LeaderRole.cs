using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Robinhood.Controller.Hosting;

namespace Robinhood.Controller.Leadership;

/// <summary>
/// Whether this replica leads (only the leader ticks and writes Redis), the epoch it leads under,
/// and where the current leader is, for followers that forward reports.
/// </summary>
public sealed partial class LeaderRole(IConfiguration configuration, IOptions<LeadershipOptions> options, TimeProvider time, ILogger<LeaderRole> logger)
{
    private volatile bool _isLeader;
    private long _epoch;
    private volatile string? _leaderAddress;
    private volatile StrongBox<DateTimeOffset>? _leadingSince;

    public bool IsLeader => _isLeader;

    /// <summary>Leadership is elected (Kubernetes Lease); otherwise this process leads alone and never forwards.</summary>
    public bool Elected { get; } = configuration.GetValue<bool>("Robinhood:Kubernetes:Enabled");

    /// <summary>When this replica last took the lead (its restore done); null while it follows. The startup grace counts from here.</summary>
    public DateTimeOffset? LeadingSince => _leadingSince?.Value;

    /// <summary>The Redis fencing epoch this replica leads under; 0 while it has none (no Redis, or Redis unreachable).</summary>
    public long Epoch => Interlocked.Read(ref _epoch);

    /// <summary>The leader's gRPC address as last read from Redis; null while unknown.</summary>
    public string? LeaderAddress
    {
        get => _leaderAddress;
        set => _leaderAddress = value;
    }

    /// <summary>This replica's gRPC address, as other replicas reach it.</summary>
    public string AdvertisedAddress { get; } = Advertise(configuration, options.Value);

    /// <summary>Changes of <see cref="IsLeader"/>, for tests and tools.</summary>
    public event Action<bool>? Changed;

    internal void Promote(long epoch)
    {
        Interlocked.Exchange(ref _epoch, epoch);
        _leadingSince = new StrongBox<DateTimeOffset>(time.GetUtcNow());
        _isLeader = true;
        _leaderAddress = AdvertisedAddress;
        ControllerMetrics.Leader.Set(1);
        LogPromoted(epoch);
        Changed?.Invoke(true);
    }

    internal void Demote(string why)
    {
        if (!_isLeader)
        {
            return;
        }

        _isLeader = false;
        _leadingSince = null;
        ControllerMetrics.Leader.Set(0);
        LogDemoted(why);
        Changed?.Invoke(false);
    }

    private static string Advertise(IConfiguration configuration, LeadershipOptions options)
    {
        if (options.AdvertiseAddress is { Length: > 0 } configured)
        {
            return configured.TrimEnd('/');
        }

        var host = Environment.GetEnvironmentVariable("POD_IP") is { Length: > 0 } ip ? ip : Environment.MachineName;
        return ListenAddress.Dialable(configuration["Kestrel:Endpoints:Grpc:Url"] ?? "http://0.0.0.0:7000", host);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This replica now leads (epoch {Epoch})")]
    private partial void LogPromoted(long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This replica no longer leads: {Why}")]
    private partial void LogDemoted(string why);
}
