using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Robinhood.Controller.Persistence;

/// <summary>
/// The one Redis connection of the process (<c>ConnectionStrings:Redis</c>), opened lazily with
/// abortConnect=false so an unreachable Redis never fails start; it reconnects in the background.
/// Reports reachability to <c>robinhood_controller_redis_up</c>. TLS as the connection string says (<c>ssl=true</c>),
/// or with <c>Robinhood:Redis:CaFile</c> (the CA to trust) and an optional client certificate.
/// </summary>
public sealed partial class RedisConnection : IAsyncDisposable
{
    private readonly string? _configuration;
    private readonly RedisOptions _options;
    private readonly ILogger<RedisConnection> _logger;
    private readonly SemaphoreSlim _opening = new(1, 1);
    private volatile ConnectionMultiplexer? _multiplexer;

    public RedisConnection(IConfiguration configuration, IOptions<RedisOptions> options, ILogger<RedisConnection> logger)
    {
        _configuration = configuration.GetConnectionString("Redis") is { Length: > 0 } c ? c : null;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>False when no Redis is configured: state stays in memory.</summary>
    public bool Enabled => _configuration is not null;

    /// <summary>Raised (on a Redis thread) when the connection comes back, so readers resync.</summary>
    public event Action? Restored;

    /// <summary>The connection, opening it on first use; commands fail fast while Redis is unreachable.</summary>
    public async Task<IConnectionMultiplexer> GetAsync()
    {
        if (_multiplexer is { } open)
        {
            return open;
        }

        var configuration = _configuration ?? throw new InvalidOperationException("ConnectionStrings:Redis is not set");
        await _opening.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_multiplexer is { } raced)
            {
                return raced;
            }

            var options = ConfigurationOptions.Parse(configuration);
            options.AbortOnConnectFail = false;
            options.BacklogPolicy = BacklogPolicy.FailFast;
            if (_options.CaFile.Length > 0)
            {
                options.Ssl = true;
                options.TrustIssuer(_options.CaFile);
            }

            if (_options.CertFile.Length > 0)
            {
                options.Ssl = true;
                options.SetUserPemCertificate(_options.CertFile, _options.KeyFile);
            }
            var multiplexer = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            multiplexer.ConnectionFailed += (_, e) => Failed(e.FailureType.ToString(), e.Exception);
            multiplexer.ConnectionRestored += (_, _) => Up();
            if (multiplexer.IsConnected)
            {
                Up();
            }
            else
            {
                Failed("initial connect", null);
            }

            _multiplexer = multiplexer;
            return multiplexer;
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>A Redis operation succeeded: Redis is up.</summary>
    public void OperationSucceeded() => ControllerMetrics.RedisUp.Set(1);

    /// <summary>Counts and logs a failed Redis operation; the caller carries on in memory.</summary>
    public void OperationFailed(string operation, Exception exception)
    {
        ControllerMetrics.RedisErrors.WithLabels(operation).Inc();
        ControllerMetrics.RedisUp.Set(0);
        LogOperationFailed(operation, exception.Message);
    }

    private void Up()
    {
        ControllerMetrics.RedisUp.Set(1);
        LogConnected();
        Restored?.Invoke();
    }

    private void Failed(string what, Exception? exception)
    {
        ControllerMetrics.RedisUp.Set(0);
        ControllerMetrics.RedisErrors.WithLabels("connection").Inc();
        LogUnreachable(what, exception?.Message ?? "not connected");
    }

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer is { } m)
        {
            await m.DisposeAsync().ConfigureAwait(false);
        }

        _opening.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis connected")]
    private partial void LogConnected();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unreachable ({What}: {Reason}); controlling in memory, reconnecting")]
    private partial void LogUnreachable(string what, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis {Operation} failed: {Reason}")]
    private partial void LogOperationFailed(string operation, string reason);
}
