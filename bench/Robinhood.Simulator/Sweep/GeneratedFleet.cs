using System.Text.Json.Serialization;
using MathNet.Numerics.Distributions;
using Robinhood.Simulator.Fleet;

namespace Robinhood.Simulator.Sweep;

/// <summary>
/// One fleet of the sweep, drawn from a seed: how many endpoints, how noisy their CPU reports, how far
/// apart their capacities, how much background load and how late the reports arrive.
/// </summary>
/// <param name="Seed">Seeds the fleet's nodes, its noise and the strategies' randomness.</param>
/// <param name="Noise">CPU measurement error, uniform within ±this (relative).</param>
/// <param name="CapacitySpread">Largest over smallest possible node: cores drawn from 2 to 2 × this.</param>
/// <param name="MaxBackground">Each node's base background CPU is drawn from 0 to this.</param>
/// <param name="ReportLag">Ticks between what a node did and its report reaching the strategies.</param>
public sealed record GeneratedFleet(int Seed, int Endpoints, double Noise, double CapacitySpread, double MaxBackground, int ReportLag)
{
    public const int MinEndpoints = 8;
    public const int MaxEndpoints = 500;

    /// <summary>The fleet model's constants for this fleet (the rest as published).</summary>
    [JsonIgnore]
    public FleetParameters Parameters => new()
    {
        MeasurementNoise = Noise,
        MinCores = 2,
        MaxCores = (int)Math.Round(2 * CapacitySpread),
        MinSpeed = 1,
        MaxSpeed = 1,
        MinBackground = 0,
        MaxBackground = MaxBackground,
    };

    /// <summary>
    /// <paramref name="count"/> fleets drawn from <paramref name="seed"/>: endpoints log-uniform in 8–500, noise
    /// ±0.5–3%, capacity spread 2–8×, background 0–20%, report lag 1 or 2 ticks.
    /// </summary>
    public static IReadOnlyList<GeneratedFleet> Draw(int count, int seed)
    {
        var random = new Random(seed);
        var size = new ContinuousUniform(Math.Log(MinEndpoints), Math.Log(MaxEndpoints), random);
        var noise = new ContinuousUniform(0.005, 0.03, random);
        var spread = new ContinuousUniform(2, 8, random);
        var background = new ContinuousUniform(0, 0.2, random);
        var fleets = new GeneratedFleet[count];
        for (var i = 0; i < count; i++)
        {
            fleets[i] = new GeneratedFleet(
                random.Next(),
                (int)Math.Round(Math.Exp(size.Sample())),
                Math.Round(noise.Sample(), 4),
                Math.Round(spread.Sample(), 2),
                Math.Round(background.Sample(), 3),
                random.Next(1, 3));
        }

        return fleets;
    }
}
