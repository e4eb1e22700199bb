using Robinhood.Simulator.Scenarios;
using Robinhood.Simulator.Simulation;
using Robinhood.Simulator.Strategies;

namespace Robinhood.Simulator.Tests.Simulation;

/// <summary>The and the design's measured targets for the real library, with its default gains, at seed 42.</summary>
public class RobinhoodTargetTests
{
    private const int Seed = 42;

    [Fact]
    public void Robinhood_Steady_MaxOverAverageAtMostOnePointZeroTwo()
    {
        var r = SimulationRun.Execute(ScenarioCatalog.Find("steady")!, "robinhood", Seed).Metrics;

        Assert.True(r.MaxAvg <= 1.02, $"robinhood steady max/avg {r.MaxAvg}");
    }

    [Theory]
    [InlineData("steady")]
    [InlineData("step")]
    [InlineData("io-stall")]
    public void Robinhood_AheadOfEveryOtherStrategy_OnMaxOverAverage(string name) => AssertAheadOfEveryOtherStrategy(name);

    [Fact]
    public void Robinhood_Join_AheadOfEveryOtherStrategy_OnMaxOverAverage() => AssertAheadOfEveryOtherStrategy("join");

    private static void AssertAheadOfEveryOtherStrategy(string name)
    {
        var scenario = ScenarioCatalog.Find(name)!;
        var results = StrategyCatalog.Names.Select(s => SimulationRun.Execute(scenario, s, Seed).Metrics).ToList();
        var robinhood = results.Single(r => r.Strategy == "robinhood");

        Assert.All(
            results.Where(r => r != robinhood),
            r => Assert.True(robinhood.MaxAvg < r.MaxAvg, $"{name}: robinhood {robinhood.MaxAvg} vs {r.Strategy} {r.MaxAvg}"));
    }

    [Fact]
    public void Robinhood_Step_BackUnderOnePointOneWithinTwentyTicks_NoOscillation()
    {
        var r = SimulationRun.Execute(ScenarioCatalog.Find("step")!, "robinhood", Seed).Metrics;

        Assert.NotNull(r.ConvergenceTicks);
        Assert.InRange(r.ConvergenceTicks.Value, 0, 20);
        Assert.True(r.Overshoot < 0.1, $"the halved node swung {r.Overshoot:P1} below the average");
    }

    [Fact]
    public void Robinhood_Join_NewNodesNeverAboveOnePointThreeTimesTheAverage()
    {
        var r = SimulationRun.Execute(ScenarioCatalog.Find("join")!, "robinhood", Seed).Metrics;

        Assert.True(r.Overshoot <= 0.3, $"a joining node reached {1 + r.Overshoot:0.00}× the average");
    }

    [Fact]
    public void Robinhood_LargeFleet_NoLimitCycle_AheadOfA58()
    {
        // 1,000 nodes: the smallest ones (2 cores, max_in_flight 16) once cycled in and out of saturation.
        var scenario = ScenarioCatalog.Find("large-fleet")!;
        var robinhood = SimulationRun.Execute(scenario, "robinhood", Seed).Metrics;
        var a58 = SimulationRun.Execute(scenario, "a58-wrr", Seed).Metrics;

        Assert.True(robinhood.WorstMaxAvg <= 1.05, $"robinhood large-fleet worst max/avg {robinhood.WorstMaxAvg}");
        Assert.True(robinhood.MaxAvg < a58.MaxAvg, $"large-fleet: robinhood {robinhood.MaxAvg} vs a58-wrr {a58.MaxAvg}");
        Assert.Equal(0, robinhood.InFlightOverload);
    }

    [Fact]
    public void Robinhood_Ramp_NoLimitCycleNearSaturation()
    {
        var r = SimulationRun.Execute(ScenarioCatalog.Find("ramp")!, "robinhood", Seed).Metrics;

        Assert.True(r.WorstMaxAvg <= 1.10, $"robinhood ramp worst max/avg {r.WorstMaxAvg}");
        Assert.Equal(0, r.InFlightOverload);
    }

    [Fact]
    public void Robinhood_IoStall_InFlightBackUnderTheLimitWithinThirtyTicks()
    {
        var r = SimulationRun.Execute(ScenarioCatalog.Find("io-stall")!, "robinhood", Seed).Metrics;

        Assert.NotNull(r.InFlightRecoveryTicks);
        Assert.InRange(r.InFlightRecoveryTicks.Value, 0, 30);
    }
}
