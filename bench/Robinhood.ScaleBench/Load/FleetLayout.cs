using Robinhood.V1;

namespace Robinhood.ScaleBench.Load;

/// <summary>
/// The benchmark's fleet: endpoint i is <c>10.a.b.c:8080</c> in service <c>scale-NNNN</c> (i / per-service),
/// reported by agent i % agents, with a fixed base load per endpoint plus noise on every report, so the
/// weights keep moving and every tick publishes.
/// </summary>
public sealed class FleetLayout(int perService)
{
    public const uint MaxInFlight = 100;

    public int PerService { get; } = perService;

    public static string Endpoint(int i) => $"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}:8080";

    public string Service(int i) => $"scale-{i / PerService:D4}";

    /// <summary>The services of a fleet of <paramref name="endpoints"/>.</summary>
    public IReadOnlyList<string> Services(int endpoints) =>
        [.. Enumerable.Range(0, (endpoints + PerService - 1) / PerService).Select(s => Service(s * PerService))];

    /// <summary>A report for endpoint i: base load 0.35..0.65 by endpoint, ±2% noise.</summary>
    public LoadReport Report(int i, ulong sequence, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var cpu = Load(i, random);
        return new LoadReport
        {
            Service = Service(i),
            Endpoint = Endpoint(i),
            CpuUtilization = cpu,
            InFlight = (uint)(cpu * 0.6 * MaxInFlight),
            MaxInFlight = MaxInFlight,
            RequestsPerSecond = 200 * cpu,
            Sequence = sequence,
        };
    }

    public static double Load(int i, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var spread = (i * 0.6180339887) % 1.0;
        return Math.Clamp(0.35 + (0.3 * spread) + ((random.NextDouble() - 0.5) * 0.04), 0, 1);
    }
}
