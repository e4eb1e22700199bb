using Robinhood.Agent.Measurement;

namespace Robinhood.Agent.InFlight;

/// <summary>Embedded mode: in-flight and completed requests from this process's <see cref="InFlightCounter"/>.</summary>
public sealed class CountedInFlightSource : IInFlightSource
{
    private readonly InFlightCounter _counter;
    private readonly CounterRate _completedRate;

    public CountedInFlightSource(InFlightCounter counter, TimeProvider time)
    {
        _counter = counter;
        _completedRate = new CounterRate(time);

        // The baseline, so that the first report already carries a rate.
        _completedRate.Update(counter.Completed);
    }

    public ValueTask<InFlightReading> ReadAsync(CancellationToken cancellationToken)
    {
        var inFlight = (uint)Math.Clamp(_counter.InFlight, 0, uint.MaxValue);
        return ValueTask.FromResult(new InFlightReading(inFlight, _completedRate.Update(_counter.Completed)));
    }
}
