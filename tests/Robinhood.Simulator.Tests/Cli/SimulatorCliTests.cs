using System.Text.Json;
using Robinhood.Simulator.Cli;
using Robinhood.Simulator.Strategies;

namespace Robinhood.Simulator.Tests.Cli;

public sealed class SimulatorCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"robinhood-sim-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "--out", "x", "--seed", "abc" }, "--seed must be an integer from 0 to")]
    [InlineData(new[] { "--out", "x", "--seed", "-3" }, "--seed")]
    [InlineData(new[] { "--out", "x", "--scenario", "nope" }, "--scenario must be one of steady, step, join, agent-loss, io-stall, ramp, flash-crowd, large-fleet; got 'nope'")]
    [InlineData(new[] { "--scenario", "steady" }, "--out is required")]
    [InlineData(new[] { "--out" }, "--out needs a value")]
    [InlineData(new[] { "--out", "--seed", "1" }, "--out needs a value")]
    [InlineData(new[] { "--out", "a", "--out", "b" }, "--out may be given only once")]
    [InlineData(new[] { "--out", "a", "--speed", "3" }, "unknown argument '--speed'")]
    [InlineData(new[] { "tune", "--scenario", "steady" }, "unknown argument '--scenario' for tune")]
    [InlineData(new[] { "tune", "--fleet", "f.json", "--from-controller", "http://127.0.0.1:7001", "--service", "s" }, "--fleet and --from-controller cannot both be given")]
    [InlineData(new[] { "tune", "--from-controller", "http://127.0.0.1:7001" }, "--from-controller and --service go together")]
    [InlineData(new[] { "tune", "--from-controller", "ftp://127.0.0.1", "--service", "s" }, "--from-controller must be an absolute http(s) URL")]
    [InlineData(new[] { "tune", "--read-token-file", "token" }, "--read-token-file goes with --from-controller")]
    public void Run_BadArguments_NamesTheArgumentAndTheRule_ExitCodeTwo(string[] args, string message)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = SimulatorCli.Run(args, stdout, stderr);

        Assert.Equal(2, code);
        Assert.Contains($"error: {message}", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("usage:", stderr.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir));
    }

    [Fact]
    public void Run_Help_PrintsUsage_ExitCodeZero()
    {
        var stdout = new StringWriter();

        Assert.Equal(0, SimulatorCli.Run(["--help"], stdout, new StringWriter()));
        Assert.Contains("--scenario NAME", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_OneScenario_WritesResultsJsonTableAndChart()
    {
        var code = SimulatorCli.Run(["--out", _dir, "--scenario", "steady", "--seed", "5"], new StringWriter(), new StringWriter());

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "results.json")));
        var rows = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(StrategyCatalog.Names, rows.Select(r => r.GetProperty("strategy").GetString()));
        foreach (var row in rows)
        {
            Assert.Equal("steady", row.GetProperty("scenario").GetString());
            foreach (var key in new[] { "max_avg", "p95_avg", "overshoot", "in_flight_overload" })
            {
                Assert.Equal(JsonValueKind.Number, row.GetProperty(key).ValueKind);
            }

            Assert.Contains(row.GetProperty("convergence_ticks").ValueKind, new[] { JsonValueKind.Number, JsonValueKind.Null });
            Assert.True(row.GetProperty("max_avg").GetDouble() >= row.GetProperty("p95_avg").GetDouble());
        }

        var svg = File.ReadAllText(Path.Combine(_dir, "steady.svg"));
        Assert.StartsWith("<svg", svg, StringComparison.Ordinal);
        Assert.Equal(StrategyCatalog.Names.Count, svg.Split("<polyline").Length - 1);
        var table = File.ReadAllText(Path.Combine(_dir, "results.md"));
        Assert.Contains("| steady | robinhood |", table, StringComparison.Ordinal);
    }
}
