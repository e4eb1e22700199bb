using System.Globalization;
using Robinhood.Simulator.Scenarios;

namespace Robinhood.Simulator.Cli;

/// <summary>What the simulator is asked to do.</summary>
public enum Command
{
    /// <summary>Run the named scenarios, every strategy side by side.</summary>
    Simulate,

    /// <summary>Tune the gains.</summary>
    Tune,

    /// <summary>Run strategies over generated fleets.</summary>
    Sweep,
}

/// <summary>The parsed command line: run the scenarios (default), tune the gains or sweep generated fleets.</summary>
/// <param name="Scenario">One scenario's name, or null for all of them.</param>
/// <param name="Fleets">How many fleets the sweep draws.</param>
/// <param name="Fleet">For tune: a fleet description file to tune on.</param>
/// <param name="FromController">For tune: a running controller's Http endpoint to derive the fleet from (with <paramref name="Service"/>).</param>
/// <param name="ReadTokenFile">For tune with <paramref name="FromController"/>: a file holding the controller's read token (<c>Robinhood:Read:Token</c>).</param>
public sealed record CommandLine(
    Command Command,
    bool Help,
    string? Out,
    string? Scenario,
    int Seed,
    int Fleets = CommandLine.DefaultFleets,
    string? Fleet = null,
    Uri? FromController = null,
    string? Service = null,
    string? ReadTokenFile = null)
{
    public const int DefaultSeed = 42;

    public const int DefaultFleets = 20;

    public const int MaxFleets = 1000;

    public const string Usage =
        """
        usage: Robinhood.Simulator --out DIR [--scenario NAME] [--seed N]
               Robinhood.Simulator tune [--out DIR] [--seed N] [--fleet FILE | --from-controller URL --service NAME [--read-token-file FILE]]
               Robinhood.Simulator sweep [--out DIR] [--seed N] [--fleets N]
        """;

    public bool Tune => Command == Command.Tune;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="UsageException"/> naming the argument and the rule.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var command = args.Count > 0 ? args[0] switch { "tune" => Command.Tune, "sweep" => Command.Sweep, _ => Command.Simulate } : Command.Simulate;
        var values = new Dictionary<string, string>();
        var help = false;
        string[] allowed = command switch
        {
            Command.Simulate => ["--out", "--scenario", "--seed"],
            Command.Tune => ["--out", "--seed", "--fleet", "--from-controller", "--service", "--read-token-file"],
            _ => ["--out", "--seed", "--fleets"],
        };
        for (var i = command == Command.Simulate ? 0 : 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
            {
                help = true;
                continue;
            }

            if (!allowed.Contains(arg))
            {
                throw new UsageException($"unknown argument '{arg}'{(command == Command.Simulate ? string.Empty : $" for {command.ToString().ToLowerInvariant()}")}");
            }

            if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal) || args[i + 1].Length == 0)
            {
                throw new UsageException($"{arg} needs a value");
            }

            if (!values.TryAdd(arg, args[++i]))
            {
                throw new UsageException($"{arg} may be given only once");
            }
        }

        if (help)
        {
            return new CommandLine(command, true, null, null, DefaultSeed);
        }

        var scenario = values.GetValueOrDefault("--scenario");
        if (scenario is not null && ScenarioCatalog.Find(scenario) is null)
        {
            throw new UsageException($"--scenario must be one of {string.Join(", ", ScenarioCatalog.Names)}; got '{scenario}'");
        }

        var seed = DefaultSeed;
        if (values.TryGetValue("--seed", out var s) &&
            (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out seed) || seed < 0))
        {
            throw new UsageException($"--seed must be an integer from 0 to {int.MaxValue}; got '{s}'");
        }

        var fleets = DefaultFleets;
        if (values.TryGetValue("--fleets", out var f) &&
            (!int.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out fleets) || fleets < 1 || fleets > MaxFleets))
        {
            throw new UsageException($"--fleets must be an integer from 1 to {MaxFleets}; got '{f}'");
        }

        var fleet = values.GetValueOrDefault("--fleet");
        Uri? controller = null;
        if (values.TryGetValue("--from-controller", out var c) &&
            (!Uri.TryCreate(c, UriKind.Absolute, out controller) || controller.Scheme is not ("http" or "https")))
        {
            throw new UsageException($"--from-controller must be an absolute http(s) URL of the controller's Http endpoint (e.g. http://127.0.0.1:7001); got '{c}'");
        }

        var service = values.GetValueOrDefault("--service");
        if (fleet is not null && controller is not null)
        {
            throw new UsageException("--fleet and --from-controller cannot both be given: tune on a file or on a running controller's fleet");
        }

        if ((controller is null) != (service is null))
        {
            throw new UsageException("--from-controller and --service go together: the controller and the service whose fleet to derive");
        }

        var readTokenFile = values.GetValueOrDefault("--read-token-file");
        if (readTokenFile is not null && controller is null)
        {
            throw new UsageException("--read-token-file goes with --from-controller: the token the controller's dashboard API requires");
        }

        var output = values.GetValueOrDefault("--out");
        if (command == Command.Simulate && output is null)
        {
            throw new UsageException("--out is required: the directory to write results.json, results.md and the charts to");
        }

        return new CommandLine(command, false, output, scenario, seed, fleets, fleet, controller, service, readTokenFile);
    }
}
