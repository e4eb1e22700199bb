using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Client.Subscription;
using Robinhood.Client.Tests.Support;
using Robinhood.V1;

namespace Robinhood.Client.Tests.Subscription;

/// <summary>Where a retry goes: <see cref="ServiceWeights.TryPickOther"/>.</summary>
public sealed class ServiceWeightsTests
{
    [Fact]
    public void TryPickOther_FailedEndpointHoldsMostOfTheWeight_AlwaysAnotherSplitByWeight()
    {
        // The weights a dead backend had 5 s after it was killed in DeadBackendTests: its agent reported it idle.
        var weights = Weights(("10.0.0.1:80", 3707u), ("10.0.0.2:80", 100u), ("10.0.0.3:80", 200u), ("10.0.0.4:80", 100u));
        var picked = new Dictionary<string, int>();

        for (var i = 0; i < 4000; i++)
        {
            Assert.True(weights.TryPickOther("10.0.0.1:80", out var other));
            picked[other.Address] = picked.GetValueOrDefault(other.Address) + 1;
        }

        Assert.False(picked.ContainsKey("10.0.0.1:80"));
        Assert.InRange(picked["10.0.0.2:80"], 900, 1100);
        Assert.InRange(picked["10.0.0.3:80"], 1850, 2150);
        Assert.InRange(picked["10.0.0.4:80"], 900, 1100);
    }

    [Fact]
    public void TryPickOther_NoOtherWithAWeight_False()
    {
        var weights = Weights(("10.0.0.1:80", 1000u), ("10.0.0.2:80", 0u));

        Assert.False(weights.TryPickOther("10.0.0.1:80", out var other));
        Assert.Null(other);
    }

    private static ServiceWeights Weights(params (string Endpoint, uint Weight)[] endpoints)
    {
        var weights = new ServiceWeights("s", new RobinhoodClientOptions(), new FakeTimeProvider(), new Random(1), NullLogger.Instance);
        var snapshot = WeightServer.Snapshot("s", 1, [.. endpoints.Select(e => (e.Endpoint, e.Weight, EndpointState.Active))]);
        weights.Publish(WeightTable.FromSnapshot(snapshot, new Random(1), out _));
        return weights;
    }
}
