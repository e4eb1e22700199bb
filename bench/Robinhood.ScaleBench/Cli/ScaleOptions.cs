using System.Globalization;

namespace Robinhood.ScaleBench.Cli;

/// <summary>The benchmark's command line.</summary>
/// <param name="Endpoints">Fleet sizes to measure, ascending; the largest also carries the watcher and memory figures.</param>
/// <param name="Watchers">Watch streams for the fan-out figure (its baseline is one watcher).</param>
/// <param name="Seconds">Length of each measured report window.</param>
/// <param name="Agents">Report streams, one gRPC connection each, like node agents carrying many endpoints.</param>
/// <param name="PerService">Endpoints per service; the fleet is split into services of this size.</param>
/// <param name="WatchConnections">HTTP/2 connections the watchers are spread over.</param>
/// <param name="Controller">The controller's Robinhood.Controller.dll; by default the copy next to this benchmark.</param>
public sealed record ScaleOptions(
    IReadOnlyList<int> Endpoints,
    int Watchers,
    int Seconds,
    string Out,
    int Agents,
    int PerService,
    int WatchConnections,
    string? Controller,
    int Seed)
{
    public const string Usage =
        """
        usage: Robinhood.ScaleBench [--endpoints 1000,10000] [--watchers 1000] [--seconds 20] [--out DIR]
                                    [--agents 100] [--per-service 100] [--watch-connections 10]
                                    [--controller PATH/Robinhood.Controller.dll] [--seed 42]
        """;

    /// <summary>
    /// Seconds every load step runs before its window opens: streams connect, the JIT tiers up, and new
    /// endpoints pass the controller's 10 s warm-up (WARMING, then ACTIVE under feedback control).
    /// </summary>
    public int WarmUpSeconds => 12;

    /// <summary>
    /// Seconds from the fleet growing to its largest size to that size's first window, and so to the steady ticks: a
    /// per-tick log in the controller saw ticks over 10 ms up to 23 s after a growth from 1,000 to 10,000 endpoints
    /// (heap growth, the first scrape, JIT), none of them in the minutes after. Those ticks are reported apart.
    /// </summary>
    public int SettleSeconds => 30;

    public int MaxEndpoints => Endpoints[^1];

    /// <summary>Parses the arguments; throws <see cref="FormatException"/> naming the argument and the rule.</summary>
    public static ScaleOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        string[] known = ["--endpoints", "--watchers", "--seconds", "--out", "--agents", "--per-service", "--watch-connections", "--controller", "--seed"];
        for (var i = 0; i < args.Count; i++)
        {
            if (!known.Contains(args[i]))
            {
                throw new FormatException($"unknown argument '{args[i]}'");
            }

            if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                throw new FormatException($"{args[i]} needs a value");
            }

            if (!values.TryAdd(args[i], args[++i]))
            {
                throw new FormatException($"{args[i - 1]} may be given only once");
            }
        }

        var endpoints = values.TryGetValue("--endpoints", out var list)
            ? [.. list.Split(',').Select(v => Positive("--endpoints", v))]
            : new List<int> { 1000, 10000 };
        if (endpoints.Count == 0 || !endpoints.SequenceEqual(endpoints.Order().Distinct()))
        {
            throw new FormatException("--endpoints must be distinct sizes in ascending order");
        }

        return new ScaleOptions(
            endpoints,
            Int(values, "--watchers", 1000),
            Int(values, "--seconds", 20),
            values.GetValueOrDefault("--out") ?? Path.Combine(Path.GetTempPath(), "robinhood-scale"),
            Int(values, "--agents", 100),
            Int(values, "--per-service", 100),
            Int(values, "--watch-connections", 10),
            values.GetValueOrDefault("--controller"),
            Int(values, "--seed", 42));
    }

    private static int Int(Dictionary<string, string> values, string name, int fallback) =>
        values.TryGetValue(name, out var v) ? Positive(name, v) : fallback;

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new FormatException($"{name} must be a positive integer (got '{value}')");
}
