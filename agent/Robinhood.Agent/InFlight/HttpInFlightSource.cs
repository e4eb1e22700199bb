using System.Globalization;
using System.Text.Json;

namespace Robinhood.Agent.InFlight;

/// <summary>
/// Sidecar mode: GETs the application's in-flight URL, which answers with a plain integer (<c>17</c>) or a JSON
/// object with an <c>in_flight</c> number (<c>{"in_flight":17}</c>).
/// </summary>
public sealed class HttpInFlightSource(HttpClient http, Uri url) : IInFlightSource
{
    public async ValueTask<InFlightReading> ReadAsync(CancellationToken cancellationToken)
    {
        var body = (await http.GetStringAsync(url, cancellationToken)).Trim();
        return new InFlightReading(Parse(body, url), RequestsPerSecond: null);
    }

    internal static uint Parse(string body, Uri url)
    {
        if (uint.TryParse(body, NumberStyles.None, CultureInfo.InvariantCulture, out var plain))
        {
            return plain;
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("in_flight", out var inFlight)
                && inFlight.TryGetUInt32(out var value))
            {
                return value;
            }
        }
        catch (JsonException)
        {
            // Falls through to the error naming the accepted formats.
        }

        throw new FormatException($"{url} answered '{body}': expected a non-negative integer or {{\"in_flight\":N}}.");
    }
}
