using System.Diagnostics;
using Robinhood.Control;
using Robinhood.Controller.Publish;

namespace Robinhood.Controller.Control;

/// <summary>
/// Ticks every service at <c>Robinhood:Control:Interval</c> and publishes what changed. Nothing is
/// published during the startup grace, so a restarted controller does not act on the few agents
/// that happened to reconnect first.
/// </summary>
public sealed partial class ControlLoop(
    Fleet fleet,
    SnapshotPublisher publisher,
    ControlSettingsSource settings,
    TimeProvider time,
    ILogger<ControlLoop> logger) : BackgroundService
{
    private readonly DateTimeOffset _started = time.GetUtcNow();
    private TaskCompletionSource<long> _nextTick = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _ticks;

    /// <summary>Completed ticks; /readyz waits for the first.</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>Completes when the next tick has run (with the tick count); for tests and tools driving the loop.</summary>
    public Task<long> NextTickAsync() => Volatile.Read(ref _nextTick).Task;

    private PeriodicTimer? _timer;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Created here, not in ExecuteAsync (which runs on a background thread), so the first
        // interval counts from start on any clock.
        _timer = new PeriodicTimer(settings.Current.Interval, time);
        LogStarted(settings.Current.Interval);
        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var timer = _timer ?? throw new InvalidOperationException("StartAsync was not called");
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Tick();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Graceful shutdown.
        }
    }

    /// <summary>One control step over every service.</summary>
    public void Tick()
    {
        var started = Stopwatch.GetTimestamp();
        var publishing = time.GetUtcNow() - _started >= settings.Current.StartupGrace;
        foreach (var service in fleet.Services)
        {
            try
            {
                var weights = fleet.Tick(service);
                if (weights is not null)
                {
                    Export(weights);
                    if (publishing)
                    {
                        publisher.Publish(weights);
                    }
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // One service's failure must not stop the others' control.
                LogTickFailed(e, service);
            }
        }

        ControllerMetrics.TickDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        var ticks = Interlocked.Increment(ref _ticks);
        Interlocked.Exchange(ref _nextTick, new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously))
            .SetResult(ticks);
    }

    private static void Export(ServiceWeights weights)
    {
        double max = 0, sum = 0;
        var active = 0;
        foreach (var e in weights.Endpoints)
        {
            ControllerMetrics.EndpointWeight.WithLabels(weights.Service, e.Endpoint).Set(e.Weight);
            ControllerMetrics.EndpointUtilization.WithLabels(weights.Service, e.Endpoint).Set(e.Utilization);
            foreach (var phase in Enum.GetValues<EndpointPhase>())
            {
                ControllerMetrics.EndpointState.WithLabels(weights.Service, e.Endpoint, phase.ToString().ToUpperInvariant())
                    .Set(phase == e.Phase ? 1 : 0);
            }

            if (e.Phase == EndpointPhase.Active)
            {
                max = Math.Max(max, e.Utilization);
                sum += e.Utilization;
                active++;
            }
        }

        ControllerMetrics.MaxAvgUtilization.WithLabels(weights.Service).Set(active > 0 && sum > 0 ? max / (sum / active) : 0);
        ControllerMetrics.Frozen.WithLabels(weights.Service).Set(weights.Frozen ? 1 : 0);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Control loop started, ticking every {Interval}")]
    private partial void LogStarted(TimeSpan interval);

    [LoggerMessage(Level = LogLevel.Error, Message = "Tick failed for service {Service}")]
    private partial void LogTickFailed(Exception exception, string service);
}
