using System.Globalization;
using System.Text;
using static System.FormattableString;
using Robinhood.Simulator.Simulation;

namespace Robinhood.Simulator.Reporting;

/// <summary>results.md: max/avg per scenario and strategy (best in bold), then every metric.</summary>
public static class ResultsTable
{
    public static string Render(IReadOnlyList<ScenarioResult> results, int seed)
    {
        ArgumentNullException.ThrowIfNull(results);
        var strategies = results.Select(r => r.Strategy).Distinct().ToList();
        var md = new StringBuilder();
        md.AppendLine(Invariant($"Seed {seed}. max/avg CPU utilization over the window (lower is better, 1 = perfect; best in bold):"));
        md.AppendLine();
        md.AppendLine("| scenario | " + string.Join(" | ", strategies) + " |");
        md.AppendLine("| --- |" + string.Concat(strategies.Select(_ => " ---: |")));
        foreach (var scenario in results.GroupBy(r => r.Scenario))
        {
            var best = scenario.Min(r => r.MaxAvg);
            var cells = strategies.Select(s => scenario.FirstOrDefault(r => r.Strategy == s) is { } r
                ? (r.MaxAvg == best ? Invariant($"**{r.MaxAvg:0.000}**") : Invariant($"{r.MaxAvg:0.000}"))
                : "–");
            md.AppendLine($"| {scenario.Key} | {string.Join(" | ", cells)} |");
        }

        md.AppendLine();
        md.AppendLine("| scenario | strategy | max/avg | p95/avg | worst max/avg | converge (ticks) | overshoot | in-flight overload | in-flight recovery (ticks) | dropped | churn |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
        {
            md.AppendLine(Invariant(
                $"| {r.Scenario} | {r.Strategy} | {r.MaxAvg:0.000} | {r.P95Avg:0.000} | {r.WorstMaxAvg:0.000} | {Ticks(r.ConvergenceTicks)} | {r.Overshoot:0.000} | {r.InFlightOverload:0.0%} | {Ticks(r.InFlightRecoveryTicks)} | {r.DroppedShare:0.0%} | {r.WeightChurn:0.0000} |"));
        }

        return md.ToString();
    }

    /// <summary>Ticks, or "never" for null.</summary>
    public static string Ticks(int? ticks) => ticks?.ToString(CultureInfo.InvariantCulture) ?? "never";
}
