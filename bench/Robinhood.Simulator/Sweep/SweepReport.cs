using System.Globalization;
using System.Text;
using MathNet.Numerics.Statistics;
using Robinhood.Simulator.Reporting;
using static System.FormattableString;

namespace Robinhood.Simulator.Sweep;

/// <summary>sweep.md: every fleet with robinhood beside every peer, then median and worst per metric, the worst case named.</summary>
public static class SweepReport
{
    /// <summary>The targets the sweep checks robinhood against.</summary>
    public const double WorstTickTarget = 1.05;

    public const int StepTicksTarget = 5;

    public const int StallTicksTarget = 5;

    public static string Render(IReadOnlyList<SweepResult> results, int seed, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(results);
        var strategies = results.Select(r => r.Strategy).Distinct().ToList();
        var fleets = results.Select(r => r.Fleet).Distinct().ToList();
        var md = new StringBuilder();
        md.AppendLine(Invariant($"{fleets.Count} generated fleets (sweep seed {seed}), {strategies.Count} strategies, in {elapsed.TotalSeconds:0} s."));
        md.AppendLine(Invariant($"Steady: mean max/avg CPU over {FleetSweep.SteadyTicks} ticks after {FleetSweep.Converged} ticks of start-up; worst: its highest tick."));
        md.AppendLine("Step: ticks from the biggest node losing half its capacity until max/avg stays ≤ 1.10. Stall: ticks from a node stalling on I/O until its in-flight is back under its limit.");
        md.AppendLine();
        md.AppendLine("| seed | endpoints | noise | spread | background | lag | " +
            string.Join(" | ", strategies.Select(s => $"steady {s}")) + " | worst a58-ideal | worst robinhood | step a58-ideal | step robinhood | stall a58-ideal | stall robinhood |");
        md.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: |" + string.Concat(Enumerable.Repeat(" ---: |", strategies.Count + 6)));
        foreach (var fleet in fleets)
        {
            var row = results.Where(r => r.Fleet == fleet).ToDictionary(r => r.Strategy);
            var rh = row.GetValueOrDefault("robinhood");
            var ideal = row.GetValueOrDefault("a58-ideal");
            md.AppendLine(Invariant(
                $"| {fleet.Seed} | {fleet.Endpoints} | ±{fleet.Noise:0.0%} | {fleet.CapacitySpread:0.0}× | {fleet.MaxBackground:0%} | {fleet.ReportLag} | ") +
                string.Join(" | ", strategies.Select(s => Steady(row[s], row))) +
                Invariant($" | {(ideal?.SteadyWorst):0.0000} | {(rh?.SteadyWorst):0.0000} | {ResultsTable.Ticks(ideal?.StepTicks)} | {ResultsTable.Ticks(rh?.StepTicks)} | {ResultsTable.Ticks(ideal?.StallTicks)} | {ResultsTable.Ticks(rh?.StallTicks)} |"));
        }

        md.AppendLine();
        md.AppendLine("| strategy | steady median | steady worst | worst tick median | worst tick worst | step median | step worst | stall median | stall worst |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var s in strategies)
        {
            var mine = results.Where(r => r.Strategy == s).ToList();
            md.AppendLine(Invariant(
                $"| {s} | {mine.Select(r => r.SteadyMaxAvg).Median():0.0000} | {mine.Max(r => r.SteadyMaxAvg):0.0000} | {mine.Select(r => r.SteadyWorst).Median():0.0000} | {mine.Max(r => r.SteadyWorst):0.0000} | {TicksMedian(mine.Select(r => r.StepTicks))} | {TicksWorst(mine.Select(r => r.StepTicks))} | {TicksMedian(mine.Select(r => r.StallTicks))} | {TicksWorst(mine.Select(r => r.StallTicks))} |"));
        }

        md.AppendLine();
        foreach (var line in Verdict(results))
        {
            md.AppendLine($"- {line}");
        }

        return md.ToString();
    }

    /// <summary>One line per target: met on every fleet, or the fleets that miss it and by how much.</summary>
    public static IReadOnlyList<string> Verdict(IReadOnlyList<SweepResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var lines = new List<string>();
        var pairs = results.Where(r => r.Strategy == "robinhood")
            .Select(r => (Robinhood: r, Ideal: results.FirstOrDefault(i => i.Strategy == "a58-ideal" && i.Fleet == r.Fleet)))
            .ToList();
        if (pairs.Count == 0)
        {
            return lines;
        }

        var behind = pairs.Where(p => p.Ideal is not null && p.Robinhood.SteadyMaxAvg > p.Ideal.SteadyMaxAvg).ToList();
        var closest = pairs.Where(p => p.Ideal is not null).MaxBy(p => p.Robinhood.SteadyMaxAvg - p.Ideal!.SteadyMaxAvg);
        lines.Add(behind.Count == 0
            ? Invariant($"Steady state at or below a58-ideal on every fleet; closest: seed {closest.Robinhood.Fleet.Seed}, {closest.Robinhood.SteadyMaxAvg:0.0000} vs {closest.Ideal!.SteadyMaxAvg:0.0000}.")
            : Invariant($"Steady state above a58-ideal on {behind.Count} of {pairs.Count} fleets: ") +
                string.Join("; ", behind.Select(p => Behind(p.Robinhood, p.Ideal!))) + ".");
        lines.Add(Miss(pairs, "worst tick after convergence", r => r.SteadyWorst > WorstTickTarget, r => Invariant($"{r.SteadyWorst:0.0000}"), Invariant($"≤ {WorstTickTarget}")));
        lines.Add(Miss(pairs, "half-capacity step", r => r.StepTicks is not <= StepTicksTarget, r => ResultsTable.Ticks(r.StepTicks) + " ticks", Invariant($"back under 1.10 within {StepTicksTarget} ticks")));
        lines.Add(Miss(pairs, "I/O stall", r => r.StallTicks is not <= StallTicksTarget, r => ResultsTable.Ticks(r.StallTicks) + " ticks", Invariant($"relieved within {StallTicksTarget} ticks")));
        var steadiest = pairs.MaxBy(p => p.Robinhood.SteadyMaxAvg);
        var highest = pairs.MaxBy(p => p.Robinhood.SteadyWorst);
        lines.Add(Invariant($"Worst case for robinhood: steady {steadiest.Robinhood.SteadyMaxAvg:0.0000} on {Describe(steadiest.Robinhood.Fleet)}") +
            (steadiest.Ideal is { } i1 ? Invariant($" (a58-ideal {i1.SteadyMaxAvg:0.0000})") : "") +
            Invariant($"; highest tick {highest.Robinhood.SteadyWorst:0.0000} on {Describe(highest.Robinhood.Fleet)}") +
            (highest.Ideal is { } i2 ? Invariant($" (a58-ideal {i2.SteadyWorst:0.0000})") : "") + ".");
        return lines;
    }

    private static string Miss(
        IReadOnlyList<(SweepResult Robinhood, SweepResult? Ideal)> pairs,
        string metric,
        Func<SweepResult, bool> misses,
        Func<SweepResult, string> value,
        string target)
    {
        var failing = pairs.Select(p => p.Robinhood).Where(misses).ToList();
        return failing.Count == 0
            ? $"{metric}: {target} on every fleet."
            : Invariant($"{metric}: {target} missed on {failing.Count} of {pairs.Count} fleets: ") +
                string.Join("; ", failing.Select(r => Invariant($"seed {r.Fleet.Seed} ({r.Fleet.Endpoints} endpoints) {value(r)}"))) + ".";
    }

    private static string Describe(GeneratedFleet f) =>
        Invariant($"seed {f.Seed} ({f.Endpoints} endpoints, ±{f.Noise:0.0%} noise, {f.CapacitySpread:0.0}× spread, background to {f.MaxBackground:0%}, lag {f.ReportLag})");

    private static string Behind(SweepResult robinhood, SweepResult ideal)
    {
        var gap = robinhood.SteadyMaxAvg - ideal.SteadyMaxAvg;
        return Invariant($"seed {robinhood.Fleet.Seed} {robinhood.SteadyMaxAvg:0.0000} vs {ideal.SteadyMaxAvg:0.0000} (+{gap:0.0000})");
    }

    private static string Steady(SweepResult r, IReadOnlyDictionary<string, SweepResult> row)
    {
        var best = row.Values.Min(v => v.SteadyMaxAvg);
        var text = r.SteadyMaxAvg.ToString("0.0000", CultureInfo.InvariantCulture);
        return r.SteadyMaxAvg == best ? $"**{text}**" : text;
    }

    private static string TicksMedian(IEnumerable<int?> ticks)
    {
        var list = ticks.ToList();
        // "never" sorts last: a median of nevers is never.
        var sorted = list.Select(t => t ?? int.MaxValue).Order().ToList();
        var median = sorted[(sorted.Count - 1) / 2];
        return median == int.MaxValue ? "never" : median.ToString(CultureInfo.InvariantCulture);
    }

    private static string TicksWorst(IEnumerable<int?> ticks) =>
        ticks.Any(t => t is null) ? "never" : ResultsTable.Ticks(ticks.Max());
}
