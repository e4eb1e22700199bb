using System.Globalization;

namespace Robinhood.ScaleBench.Scraping;

/// <summary>The few series the benchmark reads from a Prometheus text exposition.</summary>
public sealed class PrometheusText
{
    /// <summary>
    /// The families kept. The benchmark's watchers share this process: a scrape of 10,000 endpoints
    /// (~110,000 series) held whole as one string and a dictionary would make this process collect
    /// garbage, and pause the watchers, right as a window opens.
    /// </summary>
    private static readonly string[] Families =
    [
        "robinhood_controller_tick_duration_seconds", "robinhood_controller_push_latency_seconds", "robinhood_controller_xds_push_latency_seconds",
        "robinhood_controller_reports_total", "robinhood_controller_reports_forwarded_total",
        "dotnet_collection_count_total", "dotnet_total_memory_bytes",
        GcPauseSeconds, AllocatedBytes,
    ];

    /// <summary>The runtime's own totals (its System.Runtime meter, exported by prometheus-net): GC pause time and bytes allocated.</summary>
    public const string GcPauseSeconds = "system_runtime_dotnet_gc_pause_time";

    public const string AllocatedBytes = "system_runtime_dotnet_gc_heap_total_allocated";

    private readonly Dictionary<string, double> _values = new(StringComparer.Ordinal);

    /// <summary>Reads an exposition line by line, keeping the series of <see cref="Families"/>.</summary>
    public static async Task<PrometheusText> ReadAsync(Stream exposition)
    {
        using var reader = new StreamReader(exposition);
        var text = new PrometheusText();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0 || line[0] == '#' || !Families.Any(f => line.StartsWith(f, StringComparison.Ordinal)))
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            if (space > 0 && double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                text._values[line[..space]] = value;
            }
        }

        return text;
    }

    /// <summary>A series' value by its exact name and labels as exposed, e.g. <c>name{le="0.1"}</c>.</summary>
    public double? Value(string series) => _values.TryGetValue(series, out var v) ? v : null;

    /// <summary>Collections of one GC generation so far (prometheus-net's <c>dotnet_collection_count_total</c>).</summary>
    public double Collections(int generation) => Value($"dotnet_collection_count_total{{generation=\"{generation}\"}}") ?? double.NaN;

    /// <summary>A histogram's cumulative buckets, ascending by upper bound (the last is +Inf).</summary>
    public CumulativeHistogram Histogram(string name)
    {
        var prefix = name + "_bucket{le=\"";
        var buckets = _values
            .Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(p => (Le: ParseBound(p.Key[prefix.Length..^2]), Count: p.Value))
            .OrderBy(b => b.Le)
            .ToList();
        return new CumulativeHistogram([.. buckets.Select(b => b.Le)], [.. buckets.Select(b => b.Count)]);
    }

    private static double ParseBound(string le) =>
        le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
}

/// <summary>Prometheus histogram buckets: upper bounds and cumulative counts.</summary>
public sealed record CumulativeHistogram(IReadOnlyList<double> Bounds, IReadOnlyList<double> Counts)
{
    public double Total => Counts.Count > 0 ? Counts[^1] : 0;

    /// <summary>What was observed between two scrapes of the same histogram.</summary>
    public CumulativeHistogram Since(CumulativeHistogram earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        return this with { Counts = [.. Counts.Select((c, i) => c - (i < earlier.Counts.Count ? earlier.Counts[i] : 0))] };
    }

    /// <summary>
    /// The q-quantile, interpolated linearly inside its bucket as PromQL's histogram_quantile does; only as
    /// good as the buckets.
    /// </summary>
    public double Quantile(double q)
    {
        if (Total <= 0)
        {
            return double.NaN;
        }

        var rank = q * Total;
        for (var i = 0; i < Counts.Count; i++)
        {
            if (Counts[i] >= rank)
            {
                if (double.IsPositiveInfinity(Bounds[i]))
                {
                    return i > 0 ? Bounds[i - 1] : double.NaN;
                }

                var lower = i > 0 ? Bounds[i - 1] : 0;
                var below = i > 0 ? Counts[i - 1] : 0;
                var inBucket = Counts[i] - below;
                return inBucket <= 0 ? Bounds[i] : lower + ((Bounds[i] - lower) * (rank - below) / inBucket);
            }
        }

        return Bounds[^1];
    }

    /// <summary>Observations above a bound that is one of the buckets' (e.g. the 10 ms budget).</summary>
    public double Above(double bound)
    {
        var i = Bounds.ToList().IndexOf(bound);
        return i < 0 ? throw new ArgumentOutOfRangeException(nameof(bound), bound, "not a bucket bound") : Total - Counts[i];
    }
}
