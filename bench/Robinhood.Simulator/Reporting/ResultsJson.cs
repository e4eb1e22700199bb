using System.Text.Json;
using Robinhood.Simulator.Simulation;

namespace Robinhood.Simulator.Reporting;

/// <summary>results.json: an array of <see cref="ScenarioResult"/> with snake_case keys (null = never converged/recovered).</summary>
public static class ResultsJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static string Serialize(IEnumerable<ScenarioResult> results) => JsonSerializer.Serialize(results, Options);

    public static IReadOnlyList<ScenarioResult> Deserialize(string json) =>
        JsonSerializer.Deserialize<List<ScenarioResult>>(json, Options) ?? [];
}
