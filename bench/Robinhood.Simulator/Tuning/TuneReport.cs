using System.Text;
using Robinhood.Simulator.Reporting;
using static System.FormattableString;

namespace Robinhood.Simulator.Tuning;

/// <summary>What the tuner prints: the ranking, the best set's scores, and the set as operators paste it.</summary>
public static class TuneReport
{
    /// <param name="fleet">What fleet the scenarios ran on, when not the modelled 24 nodes.</param>
    public static string Render(IReadOnlyList<GainCandidate> ranked, GainCandidate defaults, int seed, TimeSpan elapsed, string? fleet = null)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        ArgumentNullException.ThrowIfNull(defaults);
        var best = ranked[0];
        var keys = best.Gains.Select(g => g.Key).ToList();
        var text = new StringBuilder();
        text.AppendLine(Invariant($"Swept {ranked.Count} gain sets × {best.Results.Count} scenarios (seed {seed}) in {elapsed.TotalSeconds:0.0} s") +
            (fleet is null ? " on the modelled fleet (24 nodes, capacities ~4× apart)." : $" on {fleet}."));
        text.AppendLine();
        text.AppendLine($"| rank | {string.Join(" | ", keys)} | score |");
        text.AppendLine($"| ---: |{string.Concat(keys.Select(_ => " ---: |"))} ---: |");
        foreach (var (c, i) in ranked.Take(5).Select((c, i) => (c, i)))
        {
            text.AppendLine(Row(Invariant($"{i + 1}"), c));
        }

        text.AppendLine(Row("defaults", defaults));
        text.AppendLine();
        text.AppendLine("Best set against the library defaults, per scenario:");
        text.AppendLine();
        text.AppendLine("| scenario | max/avg best | max/avg defaults | converge best | converge defaults | in-flight overload best | churn best |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (b, d) in best.Results.Zip(defaults.Results))
        {
            text.AppendLine(Invariant(
                $"| {b.Scenario} | {b.MaxAvg:0.000} | {d.MaxAvg:0.000} | {ResultsTable.Ticks(b.ConvergenceTicks)} | {ResultsTable.Ticks(d.ConvergenceTicks)} | {b.InFlightOverload:0.0%} | {b.WeightChurn:0.0000} |"));
        }

        text.AppendLine();
        text.AppendLine("Helm values (charts/robinhood; `helm upgrade` reloads them live):");
        text.AppendLine();
        text.AppendLine("```yaml");
        text.AppendLine("controller:");
        text.AppendLine("  control:");
        foreach (var (key, value) in best.Gains)
        {
            text.AppendLine(Invariant($"    {char.ToLowerInvariant(key[0])}{key[1..]}: {value}"));
        }

        text.AppendLine("```");
        text.AppendLine();
        text.AppendLine("appsettings.json / robinhood.json (Robinhood:Control):");
        text.AppendLine();
        text.AppendLine("```json");
        text.AppendLine($"{{ \"Robinhood\": {{ \"Control\": {{ {string.Join(", ", best.Gains.Select(g => Invariant($"\"{g.Key}\": {g.Value}")))} }} }} }}");
        text.AppendLine("```");
        return text.ToString();
    }

    private static string Row(string rank, GainCandidate c) =>
        Invariant($"| {rank} | {string.Join(" | ", c.Gains.Select(g => Invariant($"{g.Value}")))} | {c.Score:0.0000} |");
}
