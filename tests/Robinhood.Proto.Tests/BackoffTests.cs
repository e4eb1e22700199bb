using Robinhood.V1;

namespace Robinhood.Proto.Tests;

public sealed class BackoffTests
{
    [Fact]
    public void Next_RepeatedFailures_DoublesTheStepUpToTheCapWithEqualJitter()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new FixedRandom(0, 0.5, 0, 1, 0.5, 0, 0.5));

        var delays = Enumerable.Range(0, 7).Select(_ => backoff.Next().TotalSeconds);

        // Steps 1, 2, 4, 8, 16, 30 (capped), 30; each delay is step × (0.5 + 0.5 × draw).
        Assert.Equal([0.5, 1.5, 2, 8, 12, 15, 22.5], delays);
    }

    [Fact]
    public void Next_AfterReset_StartsAgainFromTheInitialDelay()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new FixedRandom(1));
        backoff.Next();
        backoff.Next();
        backoff.Next();

        backoff.Reset();

        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Next());
    }

    [Fact]
    public void Next_SeededRandom_StaysWithinHalfTheStepAndTheStep()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), new Random(42));

        for (var failure = 0; failure < 20; failure++)
        {
            var step = Math.Min(0.1 * Math.Pow(2, failure), 30);
            Assert.InRange(backoff.Next().TotalSeconds, step / 2, step);
        }
    }

    /// <summary>Draws the given values in turn, repeating the last.</summary>
    private sealed class FixedRandom(params double[] draws) : Random
    {
        private int _next;

        public override double NextDouble() => draws[Math.Min(_next++, draws.Length - 1)];
    }
}
