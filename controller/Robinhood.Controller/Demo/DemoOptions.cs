using System.ComponentModel.DataAnnotations;
using Robinhood.V1;

namespace Robinhood.Controller.Demo;

/// <summary>
/// <c>Robinhood:Demo</c>: a simulated heterogeneous fleet run in-process, reporting through the real
/// gRPC ingest path, so a newcomer can watch the loop converge on the dashboard. Off by default.
/// </summary>
public sealed class DemoOptions : IValidatableObject
{
    public const string Section = "Robinhood:Demo";

    /// <summary>Simulated endpoints; 0 turns the demo off.</summary>
    [Range(0, 1000)]
    public int Endpoints { get; set; }

    /// <summary>The service the simulated endpoints report for.</summary>
    public string Service { get; set; } = "demo";

    /// <summary>Offered load as a share of the fleet's total capacity.</summary>
    [Range(0.05, 0.95)]
    public double Load { get; set; } = 0.6;

    /// <summary>Every this many ticks one node loses half its capacity for as long, to show the loop react.</summary>
    [Range(0, 100_000)]
    public int DisturbEvery { get; set; } = 60;

    /// <summary>Seed of the fleet's capacities and noise.</summary>
    public int Seed { get; set; } = 42;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ServiceName.Check(Service, $"{Section}:Service") is { } refusal)
        {
            yield return new(refusal.Message);
        }
    }
}
