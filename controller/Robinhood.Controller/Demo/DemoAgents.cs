using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Robinhood.Controller.Hosting;
using Robinhood.V1;

namespace Robinhood.Controller.Demo;

/// <summary>
/// Runs the <see cref="DemoFleet"/> against this controller over real gRPC: reports through
/// LoadReporter, weights back through WeightDiscovery, one step per control interval.
/// </summary>
public sealed partial class DemoAgents(
    IOptions<DemoOptions> options,
    IOptions<Auth.ReadOptions> read,
    IConfiguration configuration,
    Control.ControlSettingsSource settings,
    TimeProvider time,
    ILogger<DemoAgents> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var fleet = new DemoFleet(options.Value);
        var address = ListenAddress.Dialable(configuration["Kestrel:Endpoints:Grpc:Url"] ?? "http://127.0.0.1:7000", "127.0.0.1");
        LogStarting(fleet.Endpoints.Count, options.Value.Service, address);
        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            MaxSendMessageSize = MessageLimits.MaxRequestBytes,
            MaxReceiveMessageSize = MessageLimits.MaxRequestBytes,
        });
        // Its own Watch is a read like any other: with Robinhood:Read:Token set it sends the token.
        var headers = read.Value.Token is { } token ? new Metadata { { "authorization", BearerToken.Header(token) } } : null;
        var weights = new Dictionary<string, uint>(StringComparer.Ordinal);
        ulong sequence = 0;

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var watch = new WeightDiscovery.WeightDiscoveryClient(channel)
                    .Watch(new WatchRequest { Services = { options.Value.Service }, ClientId = "demo" }, headers, cancellationToken: stoppingToken);
                using var report = new LoadReporter.LoadReporterClient(channel).Report(cancellationToken: stoppingToken);
                var reading = ReadWeights(watch.ResponseStream, weights, stoppingToken);
                var acks = DrainAcks(report.ResponseStream, stoppingToken);
                using var timer = new PeriodicTimer(settings.Current.Interval, time);
                do
                {
                    Dictionary<string, uint> current;
                    lock (weights)
                    {
                        current = new Dictionary<string, uint>(weights, StringComparer.Ordinal);
                    }

                    foreach (var r in fleet.Step(current))
                    {
                        r.Sequence = ++sequence;
                        await report.RequestStream.WriteAsync(r, stoppingToken).ConfigureAwait(false);
                    }
                }
                while (!reading.IsCompleted && !acks.IsCompleted && await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is RpcException or IOException && !stoppingToken.IsCancellationRequested)
            {
                LogRetry(e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static async Task ReadWeights(IAsyncStreamReader<WeightSnapshot> stream, Dictionary<string, uint> weights, CancellationToken ct)
    {
        await foreach (var snapshot in stream.ReadAllAsync(ct).ConfigureAwait(false))
        {
            lock (weights)
            {
                weights.Clear();
                foreach (var e in snapshot.Endpoints)
                {
                    weights[e.Endpoint] = e.Weight;
                }
            }
        }
    }

    private static async Task DrainAcks(IAsyncStreamReader<ReportAck> stream, CancellationToken ct)
    {
        await foreach (var _ in stream.ReadAllAsync(ct).ConfigureAwait(false))
        {
            // Acks only keep the stream flowing; the demo's reports are valid by construction.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo fleet: {Count} simulated endpoints of service {Service} reporting to {Address}")]
    private partial void LogStarting(int count, string service, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo fleet lost its streams ({Reason}); retrying in 1 s")]
    private partial void LogRetry(string reason);
}
