using Robinhood.Simulator.Cli;
using Robinhood.Simulator.Sweep;

namespace Robinhood.Simulator.Tests.Sweep;

/// <summary>
/// The sweep's targets with the library's default gains, on every fleet of the published sweep
/// (<c>Robinhood.Simulator sweep</c>, seed 42: 8–307 endpoints, noise ±0.6–2.9%, spreads 2.1–7.9×, background 0–15%,
/// report lag 1 and 2): a fleet above the idealized A58 in steady state, or with a tick above 1.05 after convergence,
/// fails its case, named by its seed.
/// </summary>
public sealed class FleetSweepTests
{
    private static readonly IReadOnlyList<GeneratedFleet> Fleets = GeneratedFleet.Draw(CommandLine.DefaultFleets, CommandLine.DefaultSeed);

    public static TheoryData<int> Seeds => [.. Fleets.Select(f => f.Seed)];

    [Fact]
    public void Draw_Seed42_SpansTheRangesWithBothReportLags()
    {
        Assert.Equal(20, Fleets.Count);
        Assert.Contains(Fleets, f => f.ReportLag == 2);
        Assert.Contains(Fleets, f => f.ReportLag == 1);
        Assert.InRange(Fleets.Min(f => f.Endpoints), GeneratedFleet.MinEndpoints, 10);
        Assert.True(Fleets.Max(f => f.Endpoints) >= 300, "the sweep must reach a fleet of hundreds");
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
        Assert.StartsWith($"Worst case for robinhood: steady 1.0123 on seed {fleet.Seed} ({fleet.Endpoints} endpoints", lines[4], StringComparison.Ordinal);
        Assert.Contains("(a58-ideal 1.0100); highest tick 1.0600", lines[4], StringComparison.Ordinal);
    }
}
