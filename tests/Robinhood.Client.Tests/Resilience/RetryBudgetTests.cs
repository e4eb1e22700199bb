using Microsoft.Extensions.Time.Testing;
using Robinhood.Client.Resilience;

namespace Robinhood.Client.Tests.Resilience;

public sealed class RetryBudgetTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void TryRetry_AfterAThousandRequests_AllowsTwentyPercentPlusTheFloorAndNoMore()
    {
        var budget = new RetryBudget(new RetryOptions(), _time);
        for (var i = 0; i < 1000; i++)
        {
            budget.RecordRequest();
        }

        var allowed = Enumerable.Range(0, 1000).Count(_ => budget.TryRetry());

        Assert.Equal(200 + (3 * 10), allowed);
    }

    [Fact]
    public void TryRetry_NoTraffic_OnlyTheFloor()
    {
        var budget = new RetryBudget(new RetryOptions { MinRetriesPerSecond = 1, BudgetWindow = TimeSpan.FromSeconds(5) }, _time);

        Assert.Equal(5, Enumerable.Range(0, 100).Count(_ => budget.TryRetry()));
    }

    [Fact]
    public void TryRetry_WindowPassed_OldRequestsAndRetriesNoLongerCount()
    {
        var budget = new RetryBudget(new RetryOptions { MinRetriesPerSecond = 0 }, _time);
        for (var i = 0; i < 100; i++)
        {
            budget.RecordRequest();
        }

        Assert.Equal(20, Enumerable.Range(0, 100).Count(_ => budget.TryRetry()));
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(budget.TryRetry());
        for (var i = 0; i < 10; i++)
        {
            budget.RecordRequest();
        }

        Assert.Equal(2, Enumerable.Range(0, 100).Count(_ => budget.TryRetry()));
    }
}
