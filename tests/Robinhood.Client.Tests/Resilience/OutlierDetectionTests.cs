using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Client.Resilience;
using Robinhood.Client.Subscription;
using Robinhood.Client.Tests.Support;
using Robinhood.V1;

namespace Robinhood.Client.Tests.Resilience;

/// <summary>Ejection as every path sees it: through <see cref="ServiceWeights"/>, on a fake clock.</summary>
public sealed class OutlierDetectionTests
{
    private static readonly string[] Four = ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80"];
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void ReportFailure_FiveInARow_EjectsForBaseTimeAndItsShareGoesToTheOthers()
    {
        var weights = Weights(Four);

        Fail(weights, Four[0], 4);
        Assert.Empty(weights.Ejected);
        Fail(weights, Four[0], 1);

        Assert.Equal([Four[0]], weights.Ejected);
        Assert.Equal(0u, weights.Current.WeightOf(Four[0]));
        Assert.Equal(1000u, weights.Published.WeightOf(Four[0]));
        Assert.Equal(3, weights.Current.PickableCount);
        _time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(1));
        Assert.Single(weights.Ejected);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Empty(weights.Ejected);
        Assert.Equal(1000u, weights.Current.WeightOf(Four[0]));
    }

    [Fact]
    public void ReportSuccess_BetweenFailures_EndsTheRun()
    {
        var weights = Weights(Four);

        Fail(weights, Four[0], 4);
        weights.ReportSuccess(Four[0]);
        Fail(weights, Four[0], 4);

        Assert.Empty(weights.Ejected);
        Assert.True(weights.IsFailing(Four[0]));
    }

    [Fact]
    public void Ejection_InARow_LastsBaseTimesCountUpToMaxThenIntervalsForgive()
    {
        var weights = Weights(Four);
        var lengths = new List<TimeSpan>();
        for (var i = 0; i < 8; i++)
        {
            Fail(weights, Four[0], 5);
            lengths.Add(TimeUntilReturn(weights, Four[0]));
        }

        Assert.Equal(new[] { 5, 10, 15, 20, 25, 30, 30, 30 }.Select(s => TimeSpan.FromSeconds(s)), lengths);
        _time.Advance(TimeSpan.FromSeconds(35)); // three intervals of 10 s back in service forgive three ejections
        Fail(weights, Four[0], 5);
        Assert.Equal(TimeSpan.FromSeconds(30), TimeUntilReturn(weights, Four[0]));
        _time.Advance(TimeSpan.FromSeconds(80));
        Fail(weights, Four[0], 5);
        Assert.Equal(TimeSpan.FromSeconds(5), TimeUntilReturn(weights, Four[0]));
    }

    [Fact]
    public void MaxEjectionPercent_HalfOfFour_TheThirdFailingEndpointKeepsItsShare()
    {
        var weights = Weights(Four);

        foreach (var endpoint in Four)
        {
            Fail(weights, endpoint, 10);
        }

        Assert.Equal(2, weights.Ejected.Count);
        Assert.Equal(2, weights.Current.PickableCount);
    }

    [Fact]
    public void Ejection_TwoEndpoints_NeverTheLastThatMayTakeRequests()
    {
        var weights = Weights(Four[0], Four[1]);

        Fail(weights, Four[0], 5);
        Fail(weights, Four[1], 50);

        Assert.Equal([Four[0]], weights.Ejected);
        Assert.True(weights.Current.CanPick);
    }

    [Fact]
    public void Snapshot_WithoutTheEjectedEndpoint_ForgetsItsEjection()
    {
        var weights = Weights(Four);
        Fail(weights, Four[0], 5);

        weights.Publish(Table(2, Four[1], Four[2], Four[3]));

        Assert.Empty(weights.Ejected);
        Assert.Equal(3, weights.Current.PickableCount);
    }

    [Fact]
    public void Consecutive5xx_Zero_NeverEjects()
    {
        var weights = Weights(new OutlierDetectionOptions { Consecutive5xx = 0 }, Four);

        Fail(weights, Four[0], 100);

        Assert.Empty(weights.Ejected);
    }

    private ServiceWeights Weights(params string[] endpoints) => Weights(new OutlierDetectionOptions(), endpoints);

    private ServiceWeights Weights(OutlierDetectionOptions outliers, params string[] endpoints)
    {
        var weights = new ServiceWeights("s", new RobinhoodClientOptions { OutlierDetection = outliers }, _time, new Random(1), NullLogger.Instance);
        weights.Publish(Table(1, endpoints));
        return weights;
    }

    private static WeightTable Table(ulong version, params string[] endpoints) =>
        WeightTable.FromSnapshot(WeightServer.Snapshot("s", version, [.. endpoints.Select(e => (e, 1000u, EndpointState.Active))]), new Random(1), out _);

    private static void Fail(ServiceWeights weights, string endpoint, int times)
    {
        for (var i = 0; i < times; i++)
        {
            weights.ReportFailure(endpoint);
        }
    }

    /// <summary>Advances the clock second by second until the endpoint is back; returns how long that took.</summary>
    private TimeSpan TimeUntilReturn(ServiceWeights weights, string endpoint)
    {
        Assert.Contains(endpoint, weights.Ejected);
        var waited = TimeSpan.Zero;
        while (weights.Ejected.Contains(endpoint) && waited < TimeSpan.FromMinutes(10))
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            waited += TimeSpan.FromSeconds(1);
        }

        return waited;
    }
}
