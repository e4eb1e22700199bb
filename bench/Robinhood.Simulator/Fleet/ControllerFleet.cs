using System.Text.Json;

namespace Robinhood.Simulator.Fleet;

/// <summary>
/// A <see cref="FleetDescription"/> derived from a running controller: its dashboard API's capacity estimate and
/// signal of every ACTIVE endpoint of one service (<c>GET /api/services/{service}/endpoints</c>).
/// </summary>
/// <remarks>
/// The estimate is requests_per_second / CPU, so it folds an endpoint's background CPU into its capacity: the derived
/// fleet has background 0 and each endpoint the capacity the controller sees. Noise and report lag cannot be seen from
/// outside; they keep the description's defaults (±1.5%, 1 tick) — edit the written fleet.json to change them.
/// </remarks>
public static class ControllerFleet
{
    /// <summary>Largest answer read (10,000 endpoints' terms fit well within it).</summary>
    public const int MaxResponseBytes = 16 << 20;

    public static async Task<FleetDescription> ReadAsync(HttpClient http, Uri controller, string service, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(service);
        var url = new Uri(controller, $"/api/services/{Uri.EscapeDataString(service)}/endpoints");
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new FormatException($"{url} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        }

        if (response.Content.Headers.ContentLength > MaxResponseBytes)
        {
            throw new FormatException($"{url} answered {response.Content.Headers.ContentLength} bytes; at most {MaxResponseBytes} are read");
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
        var endpoints = new List<EndpointGroup>();
        var signals = new List<double>();
        foreach (var e in document.RootElement.EnumerateArray())
        {
            if (e.GetProperty("phase").GetString() == "Active"
                && e.GetProperty("capacityEstimate") is { ValueKind: JsonValueKind.Number } capacity && capacity.GetDouble() > 0)
            {
                endpoints.Add(new EndpointGroup(Math.Round(capacity.GetDouble(), 1), Background: 0, Name: e.GetProperty("endpoint").GetString()));
                signals.Add(e.GetProperty("signal").GetDouble());
            }
        }

        if (endpoints.Count < FleetDescription.MinEndpoints)
        {
            throw new FormatException(
                $"service '{service}' has {endpoints.Count} ACTIVE endpoints with a capacity estimate at {controller}; the tuner needs at least {FleetDescription.MinEndpoints} (its agents must report requests_per_second)");
        }

        return FleetDescription.Parse(new FleetDescription
        {
            Utilization = Math.Round(Math.Clamp(signals.Average(), 0.05, 0.9), 3),
            Endpoints = endpoints,
        }.ToJson());
    }
}
