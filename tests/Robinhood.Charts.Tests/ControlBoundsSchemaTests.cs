using System.Text.Json.Nodes;
using Robinhood.Charts.Tests.Helm;
using Robinhood.Control;

namespace Robinhood.Charts.Tests;

/// <summary>values.schema.json accepts exactly the ranges <see cref="ControlOptions.Bounds"/> accepts (written once there).</summary>
public sealed class ControlBoundsSchemaTests
{
    private static readonly JsonObject Schema =
        JsonNode.Parse(File.ReadAllText(Path.Combine(HelmFixture.ChartPath, "values.schema.json")))!.AsObject();

    public static TheoryData<string, string> Options()
    {
        var data = new TheoryData<string, string>();
        foreach (var definition in new[] { "control", "serviceControl" })
        {
            foreach (var bound in ControlOptions.Bounds)
            {
                data.Add(definition, bound.Key);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void Schema_NumericControlOption_HasTheBoundsValidationEnforces(string definition, string key)
    {
        var bound = ControlOptions.Bounds.Single(b => b.Key == key);
        var property = Resolve(Schema["definitions"]![definition]!["properties"]![char.ToLowerInvariant(key[0]) + key[1..]]);

        Assert.NotNull(property);
        Assert.Equal("number", (string?)property["type"]);
        Assert.Equal(bound.Min, (double?)property[bound.MinExclusive ? "exclusiveMinimum" : "minimum"]);
        Assert.Null(property[bound.MinExclusive ? "minimum" : "exclusiveMinimum"]);
        Assert.Equal(bound.Max, (double?)property[bound.MaxExclusive ? "exclusiveMaximum" : "maximum"]);
        Assert.Null(property[bound.MaxExclusive ? "maximum" : "exclusiveMaximum"]);
    }

    private static JsonNode? Resolve(JsonNode? node) =>
        node?["$ref"] is { } reference
            ? Resolve(Schema["definitions"]![((string)reference!)["#/definitions/".Length..]])
            : node;
}
