using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Robinhood.Simulator.Scenarios;

namespace Robinhood.Simulator.Fleet;

/// <summary>
/// A fleet like yours, for the tuner: its endpoints' capacities and background load, how noisy their CPU reports are,
/// how late they arrive and the mean CPU they run at. Read from a JSON file (bench/README.md documents the format) or
/// derived from a running controller (<see cref="ControllerFleet"/>).
/// </summary>
public sealed record FleetDescription
{
    /// <summary>Largest file read: a description of <see cref="MaxEndpoints"/> named endpoints fits well within it.</summary>
    public const int MaxFileBytes = 1 << 20;

    public const int MinEndpoints = 2;

    public const int MaxEndpoints = 2000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>CPU measurement error, uniform within ±this (relative); 0.015 = ±1.5%.</summary>
    public double Noise { get; init; } = 0.015;

    /// <summary>Ticks between what an endpoint did and its report reaching the controller.</summary>
    public int ReportLag { get; init; } = 1;

    /// <summary>Mean CPU the fleet runs at when balanced.</summary>
    public double Utilization { get; init; } = 0.55;

    /// <summary>The endpoints, as groups of alike ones.</summary>
    public IReadOnlyList<EndpointGroup> Endpoints { get; init; } = [];

    [JsonIgnore]
    public int Count => Endpoints.Sum(g => g.Count);

    /// <summary>The fleet model's constants for this fleet (the rest as published).</summary>
    [JsonIgnore]
    public FleetParameters Parameters => new() { MeasurementNoise = Noise };

    /// <summary>Parses and validates a description; throws <see cref="FormatException"/> naming the field and the rule.</summary>
    public static FleetDescription Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        FleetDescription? fleet;
        try
        {
            fleet = JsonSerializer.Deserialize<FleetDescription>(json, Json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"not a fleet description: {e.Message}", e);
        }

        if (fleet is null)
        {
            throw new FormatException("not a fleet description: the file holds null");
        }

        fleet.Validate();
        return fleet;
    }

    /// <summary>Reads <paramref name="path"/> (at most <see cref="MaxFileBytes"/>) and parses it.</summary>
    public static FleetDescription Read(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new FormatException($"no fleet description at '{path}'");
        }

        if (file.Length > MaxFileBytes)
        {
            throw new FormatException($"'{path}' is {file.Length} bytes; a fleet description is at most {MaxFileBytes}");
        }

        return Parse(File.ReadAllText(path));
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Every endpoint as the fleet model's node: cores from the capacity at the model's 25 requests/s per core.</summary>
    public IReadOnlyList<NodeSpec> Nodes()
    {
        var p = Parameters;
        var nodes = new List<NodeSpec>(Count);
        foreach (var group in Endpoints)
        {
            var cores = Math.Max(1, (int)Math.Round(group.Capacity / p.CapacityPerCore));
            for (var i = 0; i < group.Count; i++)
            {
                var n = nodes.Count;
                nodes.Add(new NodeSpec(
                    Endpoint: group.Count == 1 && group.Name is { } name ? name : $"{group.Name ?? "ep"}-{n:D4}",
                    Zone: $"zone-{(char)('a' + (n % 3))}",
                    Cores: cores,
                    Capacity: group.Capacity,
                    ServiceTime: p.ServiceTime,
                    MaxInFlight: (uint)cores * p.MaxInFlightPerCore,
                    BaseBackground: group.Background));
            }
        }

        return nodes;
    }

    /// <summary>What the tuner scores on this fleet: steady, the biggest endpoint losing half its capacity, the median one stalling.</summary>
    public IReadOnlyList<Scenario> Scenarios()
    {
        var n = Count;
        var at = Invariant(Utilization);
        return
        [
            ScenarioCatalog.Steady(n, 600) with { Utilization = Utilization, Description = $"your {n} endpoints at {at} mean CPU, nothing happens" },
            ScenarioCatalog.Step(n, 120, 300) with { Utilization = Utilization, Description = $"your biggest endpoint loses half its capacity at tick 120 ({at} mean CPU)" },
            ScenarioCatalog.IoStall(n, 120, 300) with { Utilization = Utilization, Description = $"your median endpoint stalls on I/O from tick 120 to 180 ({at} mean CPU)" },
        ];
    }

    private static string Invariant(double share) => share.ToString("0%", CultureInfo.InvariantCulture);

    private void Validate()
    {
        Check(double.IsFinite(Noise) && Noise is >= 0 and <= 0.2, $"noise must be a number in [0, 0.2] (relative CPU error, 0.015 = ±1.5%); got {Noise}");
        Check(ReportLag is >= 1 and <= 10, $"reportLag must be an integer in [1, 10] (ticks); got {ReportLag}");
        Check(double.IsFinite(Utilization) && Utilization is >= 0.05 and <= 0.9, $"utilization must be a number in [0.05, 0.9] (mean CPU); got {Utilization}");
        Check(Endpoints is not null && Endpoints.Count > 0, "endpoints is required: a list of { \"count\", \"capacity\", \"background\" }");
        for (var i = 0; i < Endpoints!.Count; i++)
        {
            var g = Endpoints[i];
            Check(g is not null, $"endpoints[{i}] must be an object");
            Check(g!.Count is >= 1 and <= MaxEndpoints, $"endpoints[{i}].count must be an integer in [1, {MaxEndpoints}]; got {g.Count}");
            Check(double.IsFinite(g.Capacity) && g.Capacity is > 0 and <= 1e6, $"endpoints[{i}].capacity must be a number in (0, 1000000] (requests/s at 100% CPU); got {g.Capacity}");
            Check(double.IsFinite(g.Background) && g.Background is >= 0 and <= 0.5, $"endpoints[{i}].background must be a number in [0, 0.5] (CPU share not from requests); got {g.Background}");
            Check(g.Name is null || (g.Name.Length is > 0 and <= 253), $"endpoints[{i}].name must be 1 to 253 characters");
        }

        Check(Count is >= MinEndpoints and <= MaxEndpoints, $"endpoints must add up to {MinEndpoints}–{MaxEndpoints} endpoints; got {Count}");
    }

    private static void Check(bool holds, string rule)
    {
        if (!holds)
        {
            throw new FormatException(rule);
        }
    }
}

/// <summary><paramref name="Count"/> endpoints alike: capacity in requests/s at 100% CPU, and their own background CPU.</summary>
public sealed record EndpointGroup(double Capacity, int Count = 1, double Background = 0.05, string? Name = null);
