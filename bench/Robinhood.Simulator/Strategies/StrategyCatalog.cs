using Robinhood.Control;

namespace Robinhood.Simulator.Strategies;

/// <summary>The strategies every scenario runs, in report order; robinhood last.</summary>
public static class StrategyCatalog
{
    public static IReadOnlyList<string> Names { get; } =
        ["l4-connection", "round-robin", "random", "p2c-least-request", "a58-wrr", "a58-ideal", "robinhood"];

    /// <summary>A fresh strategy; <paramref name="options"/> are the robinhood gains (library defaults when null).</summary>
    public static IRoutingStrategy Create(string name, Random random, ControlOptions? options = null) => name switch
    {
        "l4-connection" => new L4Connection(random),
        "round-robin" => new RoundRobin(),
        "random" => new RandomPick(random),
        "p2c-least-request" => new PowerOfTwoLeastRequest(random),
        "a58-wrr" => new A58WeightedRoundRobin(),
        "a58-ideal" => new A58Idealized(),
        "robinhood" => new RobinhoodStrategy(options ?? new ControlOptions()),
        _ => throw new ArgumentException($"unknown strategy '{name}'; one of {string.Join(", ", Names)}", nameof(name)),
    };
}
