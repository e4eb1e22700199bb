using Microsoft.Extensions.Time.Testing;

namespace Robinhood.Agent.Tests.Reporting;

/// <summary>
/// A fake clock that knows the timers set on it, so a test moves time only once the agent waits on it. The agent sets
/// its next report's delay after the controller's ack, and a report reaches the test before that ack: a clock advanced
/// in between leaves the delay, set a moment later, a whole interval away, and the test waits for a report that never
/// comes.
/// </summary>
internal sealed class AgentClock : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<DateTimeOffset> _dues = [];
    private readonly List<(DateTimeOffset Due, TaskCompletionSource Set)> _waiting = [];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            var due = GetUtcNow() + dueTime;
            lock (_gate)
            {
                _dues.Add(due);
                foreach (var w in _waiting.Where(w => w.Due == due))
                {
                    w.Set.TrySetResult();
                }
            }
        }

        return timer;
    }

    /// <summary>Completes once a timer due at <paramref name="due"/> has been set.</summary>
    public async Task WaitForTimerAsync(DateTimeOffset due)
    {
        var set = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_dues.Contains(due))
            {
                return;
            }

            _waiting.Add((due, set));
        }

        try
        {
            await set.Task.WaitAsync(LoopbackServer.Timeout);
        }
        catch (TimeoutException)
        {
            lock (_gate)
            {
                throw new TimeoutException($"No timer due at {due:O} was set within {LoopbackServer.Timeout}; timers set are due at {string.Join(", ", _dues.TakeLast(5).Select(d => d.ToString("O")))}");
            }
        }
    }

    /// <summary>Advances by <paramref name="amount"/> once a timer due exactly then has been set (the agent's next report).</summary>
    public async Task AdvanceOnceWaitedOnAsync(TimeSpan amount)
    {
        await WaitForTimerAsync(GetUtcNow() + amount);
        Advance(amount);
    }
}
