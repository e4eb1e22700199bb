namespace Robinhood.Agent.InFlight;

/// <summary>Requests in flight in this process and requests completed so far, counted by <see cref="InFlightMiddleware"/>.</summary>
public sealed class InFlightCounter
{
    private long _inFlight;
    private long _completed;

    public long InFlight => Interlocked.Read(ref _inFlight);

    public long Completed => Interlocked.Read(ref _completed);

    public void Enter() => Interlocked.Increment(ref _inFlight);

    public void Exit()
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _completed);
    }
}
