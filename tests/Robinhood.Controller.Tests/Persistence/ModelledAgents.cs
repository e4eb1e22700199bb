using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Robinhood.Tests;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Persistence;

/// <summary>In-test agents: report the modelled fleet every 100 ms under the latest weights, reconnecting whenever the controller is gone.</summary>
public sealed class ModelledAgents : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly GrpcChannel _channel;
    private readonly ModelledService _fleet;
    private DateTime _lastChange = DateTime.MaxValue;

    public ModelledAgents(ModelledService fleet, string address)
    {
        _fleet = fleet;
        _channel = GrpcChannel.ForAddress(address);
        _ = Task.Run(WatchAsync);
        _ = Task.Run(ReportAsync);
    }

    public ConcurrentQueue<WeightSnapshot> Snapshots { get; } = new();

    public WeightSnapshot? Latest { get; private set; }

    /// <summary>
    /// Settled: no endpoint's share moved by 1% or more over the last five snapshots, or no new
    /// snapshot for a second (weights unchanged).
    /// </summary>
    public bool Steady()
    {
        var recent = Snapshots.TakeLast(5).ToList();
        return DateTime.UtcNow - _lastChange > TimeSpan.FromSeconds(1)
            || (recent.Count == 5
                && recent[0].Endpoints.Count == recent[^1].Endpoints.Count
                && ModelledService.MaxRelativeChange(recent[0], recent[^1]) < 0.01);
    }

    private async Task WatchAsync()
    {
        var client = new WeightDiscovery.WeightDiscoveryClient(CallDeadline.On(_channel));
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var call = client.Watch(new WatchRequest { Services = { _fleet.Service }, ClientId = "modelled-agents" }, cancellationToken: _stop.Token);
                await foreach (var s in call.ResponseStream.ReadAllAsync(_stop.Token))
                {
                    if (s.Version > 0 && (Latest is null || s.Version > Latest.Version))
                    {
                        Latest = s;
                        Snapshots.Enqueue(s);
                        _lastChange = DateTime.UtcNow;
                    }
                }
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException or IOException)
            {
                await Pause();
            }
        }
    }

    private async Task ReportAsync()
    {
        var client = new LoadReporter.LoadReporterClient(CallDeadline.On(_channel));
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var call = client.Report(cancellationToken: _stop.Token);
                while (!_stop.IsCancellationRequested)
                {
                    var weights = Latest is { } s ? ModelledService.Weights(s) : [];
                    foreach (var report in _fleet.Reports(weights))
                    {
                        await call.RequestStream.WriteAsync(report, _stop.Token);
                        if (!await call.ResponseStream.MoveNext(_stop.Token))
                        {
                            throw new IOException("the report stream closed");
                        }
                    }

                    await Pause();
                }
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException or IOException or InvalidOperationException)
            {
                await Pause();
            }
        }
    }

    private async Task Pause()
    {
        try
        {
            await Task.Delay(100, _stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _channel.Dispose();
        _stop.Dispose();
    }
}
