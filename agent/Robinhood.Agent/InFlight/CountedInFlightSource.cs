using Robinhood.Agent.Measurement;

namespace Robinhood.Agent.InFlight;

/// <summary>Embedded mode: in-flight and completed requests from this process's <see cref="InFlightCounter"/>.</summary>
public sealed class CountedInFlightSource(InFlightCounter counter, TimeProvider time) : IInFlightSource
{
    private readonly CounterRate _completedRate = new(time);

    public ValueTask<InFlightReading> ReadAsync(CancellationToken cancellationToken)
    {
        var inFlight = (uint)Math.Clamp(counter.InFlight, 0, uint.MaxValue);
        return ValueTask.FromResult(new InFlightReading(inFlight, _completedRate.Update(counter.Completed)));
    }
}
