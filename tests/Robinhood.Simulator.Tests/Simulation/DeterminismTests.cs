using Robinhood.Simulator.Scenarios;
using Robinhood.Simulator.Simulation;
using Robinhood.Simulator.Strategies;

namespace Robinhood.Simulator.Tests.Simulation;

public class DeterminismTests
{
    public static TheoryData<string> Strategies => [.. StrategyCatalog.Names];

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Execute_SameSeed_SameResultsTickForTick(string strategy)
    {
        var scenario = ScenarioCatalog.Find("step")!;

        var a = SimulationRun.Execute(scenario, strategy, 7);
        var b = SimulationRun.Execute(scenario, strategy, 7);

        Assert.Equal(a.Metrics, b.Metrics);
        Assert.Equal(a.Spread, b.Spread);
    }

    [Fact]
    public void Execute_OtherSeed_OtherFleet()
    {
        var scenario = ScenarioCatalog.Find("steady")!;

        var a = SimulationRun.Execute(scenario, "round-robin", 7);
        var b = SimulationRun.Execute(scenario, "round-robin", 8);

        Assert.NotEqual(a.Spread, b.Spread);
    }

    [Fact]
    public void Bench_InParallel_SameAsOneByOne()
    {
        var scenarios = new[] { ScenarioCatalog.Find("io-stall")!, ScenarioCatalog.Find("join")! };

        var parallel = Bench.Run(scenarios, ["a58-wrr", "p2c-least-request", "robinhood"], 11);

        Assert.Equal(
            [.. scenarios.SelectMany(s => new[] { "a58-wrr", "p2c-least-request", "robinhood" }.Select(n => SimulationRun.Execute(s, n, 11).Metrics))],
            parallel.Select(r => r.Metrics));
    }
}
