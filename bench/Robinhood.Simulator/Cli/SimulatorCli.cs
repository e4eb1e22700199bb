using System.Diagnostics;
using Robinhood.Simulator.Fleet;
using Robinhood.Simulator.Reporting;
using Robinhood.Simulator.Scenarios;
using Robinhood.Simulator.Simulation;
using Robinhood.Simulator.Sweep;
using Robinhood.Simulator.Tuning;

namespace Robinhood.Simulator.Cli;

/// <summary>The simulator's entry point: exit code 0 on success, 2 on a bad command line.</summary>
public static class SimulatorCli
{
    public const int BadArguments = 2;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        CommandLine command;
        try
        {
            command = CommandLine.Parse(args);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            stderr.WriteLine(CommandLine.Usage);
            return BadArguments;
        }

        if (command.Help)
        {
            stdout.WriteLine(CommandLine.Usage);
            return 0;
        }

        return command.Command switch
        {
            Command.Tune => Tune(command, stdout, stderr),
            Command.Sweep => Sweep(command, stdout),
            _ => Simulate(command, stdout),
        };
    }

    private static int Simulate(CommandLine command, TextWriter stdout)
    {
        var scenarios = command.Scenario is { } name ? [ScenarioCatalog.Find(name)!] : ScenarioCatalog.All;
        var runs = Bench.RunAll(scenarios, command.Seed);
        var dir = Directory.CreateDirectory(command.Out!).FullName;
        var results = runs.Select(r => r.Metrics).ToList();
        File.WriteAllText(Path.Combine(dir, "results.json"), ResultsJson.Serialize(results));
        var table = ResultsTable.Render(results, command.Seed);
        File.WriteAllText(Path.Combine(dir, "results.md"), table);
        foreach (var scenario in scenarios)
        {
            var chart = SpreadChart.Render(scenario, [.. runs.Where(r => r.Metrics.Scenario == scenario.Name)]);
            File.WriteAllText(Path.Combine(dir, $"{scenario.Name}.svg"), chart);
        }

        stdout.Write(table);
        stdout.WriteLine();
        stdout.WriteLine($"wrote {Path.Combine(dir, "results.json")}, results.md and {scenarios.Count} chart(s)");
        return 0;
    }

    private static int Tune(CommandLine command, TextWriter stdout, TextWriter stderr)
    {
        FleetDescription? fleet;
        string? source;
        try
        {
            (fleet, source) = command switch
            {
                { Fleet: { } path } => (FleetDescription.Read(path), path),
                { FromController: { } controller, Service: { } service } => (Derive(controller, service, command.ReadTokenFile), $"service {service} at {controller}"),
                _ => (null, null),
            };
        }
        catch (Exception e) when (e is FormatException or HttpRequestException or TaskCanceledException or IOException)
        {
            stderr.WriteLine($"error: {(command.Fleet is not null ? "--fleet" : "--from-controller")}: {e.Message}");
            return BadArguments;
        }

        var clock = Stopwatch.StartNew();
        var ranked = GainTuner.Sweep(command.Seed, fleet: fleet);
        var defaults = GainTuner.Defaults(command.Seed, fleet: fleet);
        var report = TuneReport.Render(ranked, defaults, command.Seed, clock.Elapsed, fleet is null ? null : $"{source} ({fleet.Count} endpoints)");
        stdout.Write(report);
        if (command.Out is { } output)
        {
            var dir = Directory.CreateDirectory(output).FullName;
            File.WriteAllText(Path.Combine(dir, "tune.md"), report);
            stdout.WriteLine($"wrote {Path.Combine(dir, "tune.md")}");
            if (command.FromController is not null)
            {
                File.WriteAllText(Path.Combine(dir, "fleet.json"), fleet!.ToJson());
                stdout.WriteLine($"wrote {Path.Combine(dir, "fleet.json")} (the derived fleet: edit it and pass it with --fleet)");
            }
        }

        return 0;
    }

    private static FleetDescription Derive(Uri controller, string service, string? readTokenFile)
    {
        using var http = ControllerFleet.Client(readTokenFile is null ? null : ControllerFleet.ReadToken(readTokenFile));
        return ControllerFleet.ReadAsync(http, controller, service, CancellationToken.None).GetAwaiter().GetResult();
    }

    private static int Sweep(CommandLine command, TextWriter stdout)
    {
        var clock = Stopwatch.StartNew();
        var results = FleetSweep.Run(GeneratedFleet.Draw(command.Fleets, command.Seed));
        var report = SweepReport.Render(results, command.Seed, clock.Elapsed);
        stdout.Write(report);
        if (command.Out is { } output)
        {
            var dir = Directory.CreateDirectory(output).FullName;
            File.WriteAllText(Path.Combine(dir, "sweep.md"), report);
            File.WriteAllText(Path.Combine(dir, "sweep.json"), System.Text.Json.JsonSerializer.Serialize(results, ResultsJson.Options));
            stdout.WriteLine($"wrote {Path.Combine(dir, "sweep.md")} and sweep.json");
        }

        return 0;
    }
}
