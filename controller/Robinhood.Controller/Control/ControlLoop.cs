using System.Collections.Concurrent;
using System.Diagnostics;
using Robinhood.Controller.Dashboard;
using Robinhood.Controller.Publish;
using Robinhood.V1;

namespace Robinhood.Controller.Control;

/// <summary>
/// Ticks the services of the shards this replica owns at <c>Robinhood:Control:Interval</c> and publishes what
/// changed. A replica that has just taken a shard controls nothing in it until its <see cref="TakeoverGate"/>
/// opens, so it does not act on the few agents that happened to reconnect first.
/// </summary>
public sealed partial class ControlLoop(
    Fleet fleet,
    SnapshotPublisher publisher,
    SnapshotCache cache,
    TakeoverGate gate,
    TickMetrics metrics,
    FleetView view,
    ControlSettingsSource settings,
    TimeProvider time,
    ILogger<ControlLoop> logger) : BackgroundService
{
    private TaskCompletionSource<long> _nextTick = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _ticks;

    /// <summary>Completed ticks; /readyz waits for the first.</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>Completes when the next tick has run (with the tick count); for tests and tools driving the loop.</summary>
    public Task<long> NextTickAsync() => Volatile.Read(ref _nextTick).Task;

    private readonly TickWorkers _workers = new(Environment.ProcessorCount);

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
        _workers.Dispose();
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
                // Halfway to the next tick, when the watchers' writes after this one are done: the next snapshots'
                // arrays, so the tick does not allocate them (SnapshotPublisher.PrepareNext).
                await Task.Delay(settings.Current.Interval / 2, time, stoppingToken).ConfigureAwait(false);
                BetweenTicks();
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
        // Only a shard's owner computes; other replicas serve its snapshots from Redis. Services are
        // independent (each is locked on its own), so each one's control step and snapshot run in parallel, handed
        // out one at a time: a worker the scheduler pauses holds up one service, not a chunk. No more workers than
        // cores, and threads of the tick's own (TickWorkers), not the pool's, which the report streams keep busy. The
        // tick ends with every new snapshot made; then they go into the cache at once, which wakes the watchers, so
        // their writes (the fan-out, robinhood_controller_push_latency_seconds) do not compete with the tick.
        var made = new ConcurrentQueue<PublishedSnapshot>();
        if (gate.Leading)
        {
            Forget(fleet.ForgetIdle(now, service => gate.Controls(service, now)));
            IReadOnlyList<string> services = [.. fleet.Services];
            _workers.Run(services.Count, i =>
            {
                if (gate.Controls(services[i], now) && Step(services[i], now) is { } snapshot)
                {
                    made.Enqueue(snapshot);
                }
            });
        }

        ControllerMetrics.TickDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);

        cache.Set(made);

        var ticks = Interlocked.Increment(ref _ticks);
        Interlocked.Exchange(ref _nextTick, new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously))
            .SetResult(ticks);
    }

    /// <summary>What the loop does between two ticks; for tools driving <see cref="Tick"/> themselves.</summary>
    public void BetweenTicks() => publisher.PrepareNext();

    /// <summary>
    /// Idle services leave everything that holds them: the cache (watchers and xDS get the empty snapshot, the
    /// dashboard drops them), metrics and the takeover gate; the StateWriter deletes them from Redis.
    /// </summary>
    private void Forget(IReadOnlyList<string> services)
    {
        foreach (var service in services)
        {
            cache.Remove(service);
            metrics.Forget(service);
            gate.Forget(service);
        }

        if (services.Count > 0)
        {
            LogForgotten(services.Count, Refusal.Cut(services[0]));
        }
    }

    /// <summary>One service's control step, kept for the gauges and the dashboard; its next snapshot when the weights changed.</summary>
    private PublishedSnapshot? Step(string service, DateTimeOffset now)
    {
        try
        {
            if (fleet.Tick(service) is { } tick)
            {
                metrics.Record(tick);
                view.Record(tick, now);
                return publisher.Next(tick.Weights);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One service's failure must not stop the others' control.
            LogTickFailed(e, service);
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Control loop started, ticking every {Interval}")]
    private partial void LogStarted(TimeSpan interval);

    [LoggerMessage(Level = LogLevel.Information, Message = "Forgot {Count} idle services (no report and no member for Robinhood:Limits:ForgetIdleServicesAfter), {First} among them")]
    private partial void LogForgotten(int count, string first);

    [LoggerMessage(Level = LogLevel.Error, Message = "Tick failed for service {Service}")]
    private partial void LogTickFailed(Exception exception, string service);
}
