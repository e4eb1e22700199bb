using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Robinhood.Agent.Configuration;
using Robinhood.Agent.Measurement;
using Robinhood.V1;

namespace Robinhood.Agent.Reporting;

/// <summary>
/// Streams load reports to the controller over one long-lived <c>Report</c> stream, reconnecting with jittered backoff.
/// At most one batch is unacknowledged at a time and every batch is measured when it is sent, so the agent never holds
/// more than the latest measurement: a slow controller gets fewer, fresher reports, not a backlog.
/// </summary>
public sealed class LoadReportingService : BackgroundService
{
    /// <summary>Bounds on the interval an ack may ask for, so a bad ack can neither spin the agent nor silence it.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(50);

    public static readonly TimeSpan MaxInterval = TimeSpan.FromMinutes(10);

    private readonly AgentOptions _options;
    private readonly ILoadSource _load;
    private readonly Backoff _backoff;
    private readonly TimeProvider _time;
    private readonly AgentMetrics _metrics;
    private readonly ILogger _logger;
    private readonly GrpcChannel _channel;
    private readonly LoadReporter.LoadReporterClient _client;

    // Cancelled when the host stops waiting for a graceful shutdown (its shutdown timeout).
    private readonly CancellationTokenSource _abandon = new();
    private TimeSpan _interval;

    public LoadReportingService(
        IOptions<AgentOptions> options,
        ILoadSource load,
        Backoff backoff,
        TimeProvider time,
        AgentMetrics metrics,
        ILogger<LoadReportingService> logger)
    {
        _options = options.Value;
        _load = load;
        _backoff = backoff;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _interval = _options.ReportInterval;
        _metrics.ReportInterval.Set(_interval.TotalSeconds);
        _channel = GrpcChannel.ForAddress(_options.Controller, new GrpcChannelOptions
        {
            MaxSendMessageSize = MessageLimits.MaxRequestBytes,
            MaxReceiveMessageSize = MessageLimits.MaxRequestBytes,
            HttpHandler = new SocketsHttpHandler
            {
                ConnectTimeout = TimeSpan.FromSeconds(10),
                KeepAlivePingDelay = TimeSpan.FromSeconds(20),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            },
        });
        _client = new LoadReporter.LoadReporterClient(_channel);
    }

    /// <summary>Stops reporting: a batch in flight still gets its acks and the stream is completed, until
    /// <paramref name="cancellationToken"/> (the host's shutdown timeout) says to give up.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await using var abandon = cancellationToken.Register(_abandon.Cancel);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _abandon.Dispose();
        _channel.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var stream = new StreamProgress();
            try
            {
                await RunStreamAsync(stream, stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex)
            {
                // The usual way a controller goes away: the status says enough, the stack trace nothing.
                _logger.StreamFailedWithStatus(_options.Controller, ex.StatusCode, ex.Status.Detail);
            }
            catch (Exception ex)
            {
                _logger.StreamFailed(ex, _options.Controller);
            }
            finally
            {
                _metrics.Connected.Set(0);
            }

            if (stream.Acknowledged)
            {
                _backoff.Reset();
            }

            var delay = _backoff.Next();
            _logger.Reconnecting(_options.Controller, delay);
            _metrics.Reconnects.Inc();
            try
            {
                await Task.Delay(delay, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RunStreamAsync(StreamProgress stream, CancellationToken stoppingToken)
    {
        // Not cancelled by stoppingToken: on shutdown the stream is completed, not torn down.
        using var call = _client.Report(headers: ReadAuthorization(), cancellationToken: CancellationToken.None);
        _logger.StreamOpening(_options.Controller);
        try
        {
            while (true)
            {
                var reports = await _load.MeasureAsync(stoppingToken);
                var sentAt = _time.GetUtcNow();
                if (reports.Count > 0 && !await SendAsync(call, reports, stream))
                {
                    return;
                }

                var delay = sentAt + _interval - _time.GetUtcNow();
                await Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, _time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await CompleteAsync(call);
            throw;
        }
    }

    /// <summary>Writes the batch and waits for its acks; false when the stream is over (ended or silent too long).</summary>
    private async Task<bool> SendAsync(
        AsyncDuplexStreamingCall<LoadReport, ReportAck> call,
        IReadOnlyList<LoadReport> reports,
        StreamProgress stream)
    {
        using var ackTimeout = new CancellationTokenSource(_options.AckTimeout, _time);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(ackTimeout.Token, _abandon.Token);
        try
        {
            foreach (var report in reports)
            {
                report.Sequence = ++stream.Sequence;
                await call.RequestStream.WriteAsync(report, cancellation.Token);
                Record(report);
            }

            for (var i = 0; i < reports.Count; i++)
            {
                if (!await call.ResponseStream.MoveNext(cancellation.Token))
                {
                    _logger.StreamEnded(_options.Controller);
                    return false;
                }

                Apply(call.ResponseStream.Current);
                if (!stream.Acknowledged)
                {
                    stream.Acknowledged = true;
                    _metrics.Connected.Set(1);
                    _logger.StreamHealthy(_options.Controller);
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException
            && ackTimeout.IsCancellationRequested && !_abandon.IsCancellationRequested)
        {
            _logger.AckTimedOut(_options.AckTimeout);
            return false;
        }
    }

    private async Task CompleteAsync(AsyncDuplexStreamingCall<LoadReport, ReportAck> call)
    {
        try
        {
            await call.RequestStream.CompleteAsync();
            while (await call.ResponseStream.MoveNext(_abandon.Token))
            {
                Apply(call.ResponseStream.Current);
            }

            _logger.StreamCompleted(_options.Controller);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or InvalidOperationException)
        {
            // The host stopped waiting (or the stream had already failed): disposing the call ends it.
        }
    }

    private void Record(LoadReport report)
    {
        _metrics.ReportsSent.Inc();
        _metrics.CpuUtilization.WithLabels(report.Endpoint).Set(report.CpuUtilization);
        _metrics.InFlight.WithLabels(report.Endpoint).Set(report.InFlight);
    }

    private void Apply(ReportAck ack)
    {
        if (!ack.Accepted)
        {
            _metrics.ReportsRefused.Inc();
            _logger.ReportRefused(ack.Sequence, ack.Endpoint, ack.Error);
        }

        if (ack.ReportInterval is not { } requested || requested.ToTimeSpan() <= TimeSpan.Zero)
        {
            return;
        }

        var interval = Clamp(requested.ToTimeSpan());
        if (interval != _interval)
        {
            _interval = interval;
            _metrics.ReportInterval.Set(interval.TotalSeconds);
            _logger.ReportIntervalChanged(interval);
        }
    }

    private static TimeSpan Clamp(TimeSpan interval) =>
        interval < MinInterval ? MinInterval : interval > MaxInterval ? MaxInterval : interval;

    // Read on every connect: projected service-account tokens are rotated in place.
    private Metadata? ReadAuthorization() => string.IsNullOrEmpty(_options.TokenFile)
        ? null
        : new Metadata { { "authorization", $"Bearer {File.ReadAllText(_options.TokenFile).Trim()}" } };

    /// <summary>What one stream achieved: the last sequence used on it and whether the controller ever answered.</summary>
    private sealed class StreamProgress
    {
        public ulong Sequence { get; set; }

        public bool Acknowledged { get; set; }
    }
}
