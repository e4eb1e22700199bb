using System.Buffers;
using System.Globalization;
using Robinhood.V1;

namespace Robinhood.Controller.Ingest;

/// <summary>Checks a report at the edge; every refusal names the field and the rule (proto/robinhood/v1/robinhood.proto, docs/trust.md).</summary>
public static class ReportValidator
{
    private const int MaxZoneLength = 253;

    // What char.IsControl is true for (U+0000..U+001F, U+007F..U+009F), searched in place: every report's zone is checked.
    private static readonly SearchValues<char> ControlCharacters = SearchValues.Create([.. Enumerable.Range(0, 0xA0).Select(c => (char)c).Where(char.IsControl)]);

    /// <summary>
    /// Null when the report is valid, else why it is not. A valid report's endpoint may be in any spelling:
    /// <paramref name="endpoint"/> is its canonical form, the one the controller keys it by.
    /// </summary>
    public static Refusal? Validate(LoadReport report, out EndpointAddress? endpoint)
    {
        ArgumentNullException.ThrowIfNull(report);
        endpoint = null;
        return ServiceName.Check(report.Service)
            ?? (EndpointAddress.TryParse(report.Endpoint, out endpoint, out var bad) ? null : bad)
            ?? ValidateZone(report.Zone)
            ?? ValidateFraction(report.CpuUtilization, "cpu_utilization")
            ?? ValidateRate(report.RequestsPerSecond)
            ?? ValidateObservedAt(report);
    }

    private static Refusal? ValidateZone(string zone)
    {
        if (zone.Length > MaxZoneLength)
        {
            return Refusal.Of(RefusalReason.TooLong, "zone", $"must be at most {MaxZoneLength} characters (got {zone.Length})");
        }

        return zone.AsSpan().ContainsAny(ControlCharacters) ? Refusal.Of(RefusalReason.Characters, "zone", "must not contain control characters") : null;
    }

    private static Refusal? ValidateFraction(double value, string field) =>
        double.IsFinite(value) && value is >= 0 and <= 1
            ? null
            : Refusal.Of(RefusalReason.OutOfRange, field, $"must be a finite number in [0, 1] (got {Format(value)})");

    private static Refusal? ValidateRate(double value) =>
        double.IsFinite(value) && value >= 0
            ? null
            : Refusal.Of(RefusalReason.OutOfRange, "requests_per_second", $"must be a finite number >= 0 (got {Format(value)})");

    private static Refusal? ValidateObservedAt(LoadReport report)
    {
        var t = report.ObservedAt;
        if (t is null)
        {
            return null;
        }

        // Timestamp's own range: 0001-01-01 .. 9999-12-31, nanos in [0, 1e9).
        return t.Nanos is < 0 or >= 1_000_000_000 || t.Seconds is < -62_135_596_800 or > 253_402_300_799
            ? Refusal.Of(RefusalReason.Timestamp, "observed_at", "must be a valid timestamp (seconds within 0001..9999, nanos in [0, 1e9))")
            : null;
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
