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

    /// <summary>Longest read token accepted from a file (the controller's own bound).</summary>
    public const int MaxReadTokenLength = 4096;

    /// <summary>An HttpClient for the dashboard API, sending <paramref name="readToken"/> as <c>Authorization: Bearer</c> when given.</summary>
    public static HttpClient Client(string? readToken)
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        if (readToken is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", readToken);
        }

        return http;
    }

    /// <summary>
    /// The read token in <paramref name="path"/> (a mounted Secret's file: the token alone, a trailing newline allowed);
    /// throws <see cref="FormatException"/> naming the file and the rule, never quoting the token.
    /// </summary>
    public static string ReadToken(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path) || new FileInfo(path).Length > MaxReadTokenLength + 2)
        {
            throw new FormatException($"--read-token-file {path} must be an existing file of at most {MaxReadTokenLength} characters: the controller's Robinhood:Read:Token");
        }

        var token = File.ReadAllText(path).TrimEnd('\r', '\n');
        if (token.Length == 0 || token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new FormatException($"--read-token-file {path} must hold the token alone: no spaces, control characters or lines after it");
        }

        return token;
    }

    public static async Task<FleetDescription> ReadAsync(HttpClient http, Uri controller, string service, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(service);
        var url = new Uri(controller, $"/api/services/{Uri.EscapeDataString(service)}/endpoints");
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
        {
            throw new FormatException($"{url} answered 401: the controller requires its read token (Robinhood:Read:Token); pass it with --read-token-file FILE");
        }

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
