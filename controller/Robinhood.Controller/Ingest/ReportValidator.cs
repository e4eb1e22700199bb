using System.Globalization;
using System.Net;
using Robinhood.V1;

namespace Robinhood.Controller.Ingest;

/// <summary>Checks a report at the edge; every refusal names the field and the rule (CONTRACT.md §2).</summary>
public static class ReportValidator
{
    public const int MaxServiceLength = 253;

    /// <summary>Returns null when the report is valid, else why it is not.</summary>
    public static string? Validate(LoadReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return ValidateService(report.Service, "service")
            ?? ValidateEndpoint(report.Endpoint)
            ?? ValidateZone(report.Zone)
            ?? ValidateFraction(report.CpuUtilization, "cpu_utilization")
            ?? ValidateRate(report.RequestsPerSecond)
            ?? ValidateObservedAt(report);
    }

    /// <summary>A service name: 1..253 characters of [A-Za-z0-9._/-].</summary>
    public static string? ValidateService(string service, string field)
    {
        if (string.IsNullOrEmpty(service))
        {
            return $"{field} must not be empty (1..{MaxServiceLength} characters of [A-Za-z0-9._/-])";
        }

        if (service.Length > MaxServiceLength)
        {
            return $"{field} must be at most {MaxServiceLength} characters (got {service.Length})";
        }

        foreach (var c in service)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '/' or '-'))
            {
                return $"{field} may contain only [A-Za-z0-9._/-] (got '{Printable(c)}')";
            }
        }

        return null;
    }

    private static string? ValidateEndpoint(string endpoint)
    {
        const string rule = "endpoint must be \"host:port\" with a port in 1..65535";
        if (string.IsNullOrEmpty(endpoint))
        {
            return $"{rule} (got an empty value)";
        }

        if (endpoint.Length > 261)
        {
            return $"endpoint must be at most 261 characters (got {endpoint.Length})";
        }

        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || colon == endpoint.Length - 1)
        {
            return $"{rule} (got \"{Truncate(endpoint)}\")";
        }

        var host = endpoint[..colon];
        var port = endpoint[(colon + 1)..];
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
        {
            return $"{rule} (got port \"{Truncate(port)}\")";
        }

        if (host.StartsWith('['))
        {
            return host.EndsWith(']') && IPAddress.TryParse(host[1..^1], out var v6)
                && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? null
                : $"endpoint host in brackets must be an IPv6 address (got \"{Truncate(host)}\")";
        }

        foreach (var c in host)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            {
                return $"endpoint host may contain only [A-Za-z0-9.-_] or be a bracketed IPv6 address (got '{Printable(c)}')";
            }
        }

        return null;
    }

    private static string? ValidateZone(string zone)
    {
        if (zone.Length > 253)
        {
            return $"zone must be at most 253 characters (got {zone.Length})";
        }

        foreach (var c in zone)
        {
            if (char.IsControl(c))
            {
                return "zone must not contain control characters";
            }
        }

        return null;
    }

    private static string? ValidateFraction(double value, string field) =>
        double.IsFinite(value) && value is >= 0 and <= 1
            ? null
            : $"{field} must be a finite number in [0, 1] (got {Format(value)})";

    private static string? ValidateRate(double value) =>
        double.IsFinite(value) && value >= 0
            ? null
            : $"requests_per_second must be a finite number >= 0 (got {Format(value)})";

    private static string? ValidateObservedAt(LoadReport report)
    {
        var t = report.ObservedAt;
        if (t is null)
        {
            return null;
        }

        // Timestamp's own range: 0001-01-01 .. 9999-12-31, nanos in [0, 1e9).
        return t.Nanos is < 0 or >= 1_000_000_000 || t.Seconds is < -62_135_596_800 or > 253_402_300_799
            ? "observed_at must be a valid timestamp (seconds within 0001..9999, nanos in [0, 1e9))"
            : null;
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Truncate(string s) => s.Length <= 64 ? s : string.Concat(s.AsSpan(0, 64), "…");

    private static string Printable(char c) => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString();
}
