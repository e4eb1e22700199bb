using System.Globalization;
using Robinhood.Simulator.Scenarios;

namespace Robinhood.Simulator.Cli;

/// <summary>The parsed command line: run the scenarios (default) or tune the gains.</summary>
/// <param name="Scenario">One scenario's name, or null for all of them.</param>
public sealed record CommandLine(bool Tune, bool Help, string? Out, string? Scenario, int Seed)
{
    public const int DefaultSeed = 42;

    public const string Usage =
        """
        usage: Robinhood.Simulator --out DIR [--scenario NAME] [--seed N]
               Robinhood.Simulator tune [--out DIR] [--seed N]
        """;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="UsageException"/> naming the argument and the rule.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var tune = args.Count > 0 && args[0] == "tune";
        var values = new Dictionary<string, string>();
        var help = false;
        for (var i = tune ? 1 : 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
            {
                help = true;
                continue;
            }

            if (arg is not ("--out" or "--scenario" or "--seed") || (tune && arg == "--scenario"))
            {
                throw new UsageException($"unknown argument '{arg}'{(tune ? " for tune" : string.Empty)}");
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
            return new CommandLine(tune, true, null, null, DefaultSeed);
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

        var output = values.GetValueOrDefault("--out");
        if (!tune && output is null)
        {
            throw new UsageException("--out is required: the directory to write results.json, results.md and the charts to");
        }

        return new CommandLine(tune, false, output, scenario, seed);
    }
}
