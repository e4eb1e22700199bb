using System.Diagnostics;
using Robinhood.Controller.Dashboard;
using Robinhood.Controller.Leadership;
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
    LeaderRole role,
    TickMetrics metrics,
    FleetView view,
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
        var now = time.GetUtcNow();
        var publishing = now - _started >= settings.Current.StartupGrace;
        // Only the leader computes; followers serve the leader's snapshots from Redis. Services are
        // independent (each is locked on its own), so they are ticked in parallel.
        if (role.IsLeader)
        {
            Parallel.ForEach(fleet.Services, service => TickService(service, now, publishing));
        }

        ControllerMetrics.TickDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        var ticks = Interlocked.Increment(ref _ticks);
        Interlocked.Exchange(ref _nextTick, new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously))
            .SetResult(ticks);
    }

    private void TickService(string service, DateTimeOffset now, bool publishing)
    {
        try
        {
            if (fleet.Tick(service) is { } tick)
            {
                metrics.Export(tick);
                view.Record(tick, now);
                if (publishing)
                {
                    publisher.Publish(tick.Weights);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One service's failure must not stop the others' control.
            LogTickFailed(e, service);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Control loop started, ticking every {Interval}")]
    private partial void LogStarted(TimeSpan interval);

    [LoggerMessage(Level = LogLevel.Error, Message = "Tick failed for service {Service}")]
    private partial void LogTickFailed(Exception exception, string service);
}
