using Robinhood.Simulator.Fleet;
using Robinhood.Simulator.Scenarios;
using Robinhood.Simulator.Simulation;
using Robinhood.Simulator.Strategies;

namespace Robinhood.Simulator.Tests.Strategies;

public class BaselineStrategyTests
{
    [Fact]
    public void RoundRobin_OnTheHeterogeneousFleet_MaxOverAverageAboutOnePointSix()
    {
        var r = SimulationRun.Execute(ScenarioCatalog.Find("steady")!, "round-robin", 42).Metrics;

        Assert.InRange(r.MaxAvg, 1.5, 1.7);
        Assert.True(r.InFlightOverload > 0.1, "the smallest nodes saturate under equal shares");
    }

    [Fact]
    public void RoundRobin_EqualShares()
    {
        var fleet = new StrategyTestFleet(50, 100, 200);

        var a = fleet.Route(new RoundRobin(), 0, 300);

        Assert.All(a, x => Assert.Equal(100, x, 9));
    }

    [Fact]
    public void Random_PlacesEveryRequest_RoughlyUniformly()
    {
        var fleet = new StrategyTestFleet(50, 100, 200, 400);

        var a = fleet.Route(new RandomPick(new Random(1)), 0, 40_000);

        Assert.Equal(40_000, a.Sum());
        Assert.All(a, x => Assert.InRange(x, 9_500, 10_500));
    }

    [Fact]
    public void PowerOfTwoLeastRequest_AvoidsTheNodeWithRequestsPilingUp()
    {
        var fleet = new StrategyTestFleet(100, 100, 100);
        fleet.Samples[0] = new NodeSample(100, 0.9, 100, 5, 500, 0, 0);

        var a = fleet.Route(new PowerOfTwoLeastRequest(new Random(1)), 1, 300);

        Assert.Equal(300, a.Sum());
        Assert.True(a[0] < 10, $"node 0 got {a[0]} requests with 500 in flight");
        Assert.InRange(a[1], 130, 170);
    }

    [Fact]
    public void L4Connection_JoiningNodeGetsOnlyNewConnections()
    {
        var fleet = new StrategyTestFleet(100, 100, 100, 100) { Members = [0, 1, 2] };
        var l4 = new L4Connection(new Random(3));
        fleet.Route(l4, 0, 300);
        var pinned = l4.Connections.Count(c => c.Node == 0);

        fleet.Members = [0, 1, 2, 3];
        var a = fleet.Route(l4, 1, 300);

        Assert.Equal(L4Connection.ConnectionsPerMember * 3, l4.Connections.Count);
        Assert.True(a[3] < 300 / 4 / 2, $"the new node got {a[3]} of 300 right after joining");
        Assert.InRange(l4.Connections.Count(c => c.Node == 0), pinned - 2, pinned + 1);
    }

    [Fact]
    public void L4Connection_MoreDemand_OpensConnectionsOnAllMembers()
    {
        var fleet = new StrategyTestFleet(100, 100);
        var l4 = new L4Connection(new Random(3));
        fleet.Route(l4, 0, 100);

        var a = fleet.Route(l4, 1, 200);

        Assert.Equal(L4Connection.ConnectionsPerMember * 2 * 2, l4.Connections.Count);
        Assert.Equal(200, a.Sum(), 6);
    }
}
