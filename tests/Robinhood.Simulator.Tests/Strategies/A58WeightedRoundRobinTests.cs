using Robinhood.Simulator.Strategies;

namespace Robinhood.Simulator.Tests.Strategies;

public class A58WeightedRoundRobinTests
{
    [Fact]
    public void Route_DuringBlackout_EqualShares_AfterTenSeconds_QpsOverUtilization()
    {
        var fleet = new StrategyTestFleet(100, 100);
        var a58 = new A58WeightedRoundRobin();

        for (var t = 1; t <= 10; t++)
        {
            var during = fleet.Route(a58, t, 300, [fleet.Report(0, 0.5, 100), fleet.Report(1, 0.25, 100)]);
            Assert.Equal(150, during[0], 6);
        }

        var after = fleet.Route(a58, 11, 300, [fleet.Report(0, 0.5, 100), fleet.Report(1, 0.25, 100)]);
        Assert.Equal(100, after[0], 0);
        Assert.Equal(200, after[1], 0);
    }

    [Fact]
    public void Route_NewEndpointInBlackout_GetsTheMeanWeight()
    {
        var fleet = new StrategyTestFleet(100, 100, 100) { Members = [0, 1] };
        var a58 = new A58WeightedRoundRobin();
        for (var t = 1; t <= 20; t++)
        {
            fleet.Route(a58, t, 300, [fleet.Report(0, 0.5, 100), fleet.Report(1, 0.25, 100)]);
        }

        fleet.Members = [0, 1, 2];
        var joined = fleet.Route(a58, 21, 900, [fleet.Report(0, 0.5, 100), fleet.Report(1, 0.25, 100), fleet.Report(2, 0.1, 100)]);

        // Weights 200 and 400 (mean 300); the newcomer's 1000 is not trusted yet: it gets 300.
        Assert.Equal(200, joined[0], 0);
        Assert.Equal(400, joined[1], 0);
        Assert.Equal(300, joined[2], 0);
    }

    [Fact]
    public void Route_ReportsStopped_WeightHeldUntilThreeMinutesThenExpires()
    {
        var fleet = new StrategyTestFleet(100, 100);
        var a58 = new A58WeightedRoundRobin();
        for (var t = 1; t <= 20; t++)
        {
            fleet.Route(a58, t, 300, [fleet.Report(0, 0.5, 100), fleet.Report(1, 0.25, 100)]);
        }

        var held = fleet.Route(a58, 199, 300, [fleet.Report(0, 0.5, 100)]);
        var expired = fleet.Route(a58, 200, 300, [fleet.Report(0, 0.5, 100)]);

        Assert.Equal(200, held[1], 0);
        Assert.Equal(150, expired[1], 0);
    }

    [Fact]
    public void Schedule_FloorsAtOneHundredthAndCapsAtTenTimesTheMean()
    {
        var floored = A58WeightedRoundRobin.Schedule([1, 1, 1, 1000, 0.0001]);
        var capped = A58WeightedRoundRobin.Schedule([.. Enumerable.Repeat(1.0, 20), 1000]);

        Assert.Equal(ushort.MaxValue, floored[3]);
        Assert.Equal(Math.Round(1003.0001 / 5 * 0.01 * ushort.MaxValue / 1000), floored[4]);
        Assert.Equal(ushort.MaxValue, capped[20]);
        Assert.InRange(capped[20] / capped[0], 10 * 1020.0 / 21 * 0.99, 10 * 1020.0 / 21 * 1.01);
    }

    [Fact]
    public void Schedule_NoWeightsYet_EqualWeights()
    {
        Assert.Equal([1.0, 1.0, 1.0], A58WeightedRoundRobin.Schedule([0, 0, 0]));
    }
}
