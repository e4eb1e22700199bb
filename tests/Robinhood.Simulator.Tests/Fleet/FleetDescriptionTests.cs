using Robinhood.Simulator.Cli;
using Robinhood.Simulator.Fleet;

namespace Robinhood.Simulator.Tests.Fleet;

/// <summary>A fleet like yours from a file: parsed, refused naming the field and the rule, and tuned on.</summary>
public sealed class FleetDescriptionTests : IDisposable
{
    private const string TwoKinds = """
        {
          // Four small endpoints and four four times their size.
          "noise": 0.02,
          "reportLag": 2,
          "utilization": 0.5,
          "endpoints": [
            { "count": 4, "capacity": 100, "background": 0.08 },
            { "count": 4, "capacity": 400, "background": 0.02, "name": "big" }
          ]
        }
        """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"robinhood-fleet-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Parse_TwoGroups_NodesWithTheirCapacityBackgroundAndCores()
    {
        var fleet = FleetDescription.Parse(TwoKinds);

        var nodes = fleet.Nodes();
        Assert.Equal(8, fleet.Count);
        Assert.Equal((0.02, 2, 0.5), (fleet.Parameters.MeasurementNoise, fleet.ReportLag, fleet.Utilization));
        Assert.Equal([100, 100, 100, 100, 400, 400, 400, 400], nodes.Select(n => n.Capacity));
        Assert.Equal([0.08, 0.08, 0.08, 0.08, 0.02, 0.02, 0.02, 0.02], nodes.Select(n => n.BaseBackground));
        Assert.Equal([4, 16], nodes.Select(n => n.Cores).Distinct());
        Assert.Equal("big-0004", nodes[4].Endpoint);
        Assert.All(fleet.Scenarios(), s => Assert.Equal((8, 0.5), (s.Nodes, s.Utilization)));
        Assert.Equal(fleet.ToJson(), FleetDescription.Parse(fleet.ToJson()).ToJson());
    }

    [Theory]
    [InlineData("""{ "endpoints": [] }""", "endpoints is required")]
    [InlineData("""{ "endpoints": [ { "count": 1, "capacity": 100 } ] }""", "endpoints must add up to 2–2000 endpoints; got 1")]
    [InlineData("""{ "endpoints": [ { "count": 2 } ] }""", "endpoints[0].capacity must be a number in (0, 1000000]")]
    [InlineData("""{ "endpoints": [ { "count": 2, "capacity": 100, "background": 0.7 } ] }""", "endpoints[0].background must be a number in [0, 0.5]")]
    [InlineData("""{ "endpoints": [ { "count": 0, "capacity": 100 } ] }""", "endpoints[0].count must be an integer in [1, 2000]")]
    [InlineData("""{ "noise": 0.5, "endpoints": [ { "count": 2, "capacity": 100 } ] }""", "noise must be a number in [0, 0.2]")]
    [InlineData("""{ "reportLag": 0, "endpoints": [ { "count": 2, "capacity": 100 } ] }""", "reportLag must be an integer in [1, 10]")]
    [InlineData("""{ "utilization": 1.2, "endpoints": [ { "count": 2, "capacity": 100 } ] }""", "utilization must be a number in [0.05, 0.9]")]
    [InlineData("""{ "endpoint": [ { "count": 2, "capacity": 100 } ] }""", "not a fleet description")]
    [InlineData("""[1, 2]""", "not a fleet description")]
    public void Parse_BadDescription_RefusedNamingTheFieldAndTheRule(string json, string rule)
    {
        var refused = Assert.Throws<FormatException>(() => FleetDescription.Parse(json));

        Assert.Contains(rule, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tune_FleetFile_TunesOnItsEndpointsAndSaysSo()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "fleet.json");
        File.WriteAllText(file, TwoKinds);
        var stdout = new StringWriter();

        var code = SimulatorCli.Run(["tune", "--fleet", file, "--out", _dir], stdout, new StringWriter());

        Assert.Equal(0, code);
        var report = File.ReadAllText(Path.Combine(_dir, "tune.md"));
        Assert.Contains($"× 3 scenarios (seed 42)", report, StringComparison.Ordinal);
        Assert.Contains($"on {file} (8 endpoints).", report, StringComparison.Ordinal);
        Assert.Contains("| steady |", report, StringComparison.Ordinal);
        Assert.Contains("controller:\n  control:\n    kp: ", report.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Tune_FleetFileMissingOrBad_ExitCodeTwoNamingTheRule()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "bad.json");
        File.WriteAllText(file, """{ "endpoints": [ { "count": 2, "capacity": -1 } ] }""");
        var stderr = new StringWriter();

        Assert.Equal(2, SimulatorCli.Run(["tune", "--fleet", file], new StringWriter(), stderr));
        Assert.Equal(2, SimulatorCli.Run(["tune", "--fleet", Path.Combine(_dir, "none.json")], new StringWriter(), stderr));

        Assert.Contains("error: --fleet: endpoints[0].capacity must be a number in (0, 1000000]", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("error: --fleet: no fleet description at", stderr.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "tune.md")));
    }
}
