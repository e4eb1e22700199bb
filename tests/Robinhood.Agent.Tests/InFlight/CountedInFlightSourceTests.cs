using Microsoft.Extensions.Time.Testing;
using Robinhood.Agent.InFlight;

namespace Robinhood.Agent.Tests.InFlight;

public sealed class CountedInFlightSourceTests
{
    [Fact]
    public async Task ReadAsync_RequestsCompletedOverInjectedClock_ReturnsInFlightAndCompletedPerSecond()
    {
        var time = new FakeTimeProvider();
        var counter = new InFlightCounter();
        var source = new CountedInFlightSource(counter, time);

        for (var i = 0; i < 10; i++)
        {
            counter.Enter();
        }

        for (var i = 0; i < 6; i++)
        {
            counter.Exit();
        }

        time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(new InFlightReading(4, 3.0), await source.ReadAsync(CancellationToken.None));
    }
}
