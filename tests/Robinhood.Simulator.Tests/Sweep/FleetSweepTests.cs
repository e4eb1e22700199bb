using Robinhood.Simulator.Sweep;

namespace Robinhood.Simulator.Tests.Sweep;

/// <summary>
/// The sweep's targets with the library's default gains, on the smallest fleets of the published sweep (seed 42:
/// 8–10 endpoints, noise ±0.6–2.8%, spreads 2–7.6×, background 0–15%, report lag 1 and 2). The whole sweep runs in
/// bench (<c>Robinhood.Simulator sweep</c>); small fleets are where one endpoint's noise moves max/avg the most.
/// </summary>
public sealed class FleetSweepTests
{
    private static readonly IReadOnlyList<GeneratedFleet> Fleets = [.. GeneratedFleet.Draw(20, 42).Where(f => f.Endpoints <= 10)];

    public static TheoryData<int> Seeds => [.. Fleets.Select(f => f.Seed)];

    [Fact]
    public void Draw_Seed42_HasSmallFleetsWithBothReportLags()
    {
        Assert.InRange(Fleets.Count, 5, 8);
        Assert.Contains(Fleets, f => f.ReportLag == 2);
        Assert.Contains(Fleets, f => f.ReportLag == 1);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Robinhood_GeneratedFleet_SteadyAtMostIdealA58_NoTickAboveOnePointZeroFive(int seed)
    {
        var fleet = Fleets.Single(f => f.Seed == seed);

        var robinhood = FleetSweep.Run(fleet, "robinhood");
        var ideal = FleetSweep.Run(fleet, "a58-ideal");

        Assert.True(robinhood.SteadyMaxAvg <= ideal.SteadyMaxAvg, $"{fleet}: robinhood {robinhood.SteadyMaxAvg} vs a58-ideal {ideal.SteadyMaxAvg}");
        Assert.True(robinhood.SteadyWorst <= SweepReport.WorstTickTarget, $"{fleet}: worst tick after convergence {robinhood.SteadyWorst}");
        Assert.InRange(robinhood.StepTicks ?? int.MaxValue, 0, SweepReport.StepTicksTarget);
        Assert.InRange(robinhood.StallTicks ?? int.MaxValue, 0, SweepReport.StallTicksTarget);
    }

    [Fact]
    public void Verdict_RobinhoodBehindOnOneFleet_NamesTheFleetAndTheGap()
    {
        var fleet = Fleets[0];
        var lines = SweepReport.Verdict(
        [
            new SweepResult(fleet, "a58-ideal", 1.0100, 1.03, 2, 63),
            new SweepResult(fleet, "robinhood", 1.0123, 1.06, 7, 3),
        ]);

        Assert.Equal($"Steady state above a58-ideal on 1 of 1 fleets: seed {fleet.Seed} 1.0123 vs 1.0100 (+0.0023).", lines[0]);
        Assert.Contains($"seed {fleet.Seed} ({fleet.Endpoints} endpoints) 1.0600", lines[1], StringComparison.Ordinal);
        Assert.Contains("7 ticks", lines[2], StringComparison.Ordinal);
        Assert.Equal("I/O stall: relieved within 5 ticks on every fleet.", lines[3]);
    }
}
