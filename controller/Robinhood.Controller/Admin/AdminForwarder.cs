using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Robinhood.Controller.Hosting;
using Robinhood.Controller.Leadership;

namespace Robinhood.Controller.Admin;

/// <summary>
/// Lets any replica take an admin call: one for a service whose shard another replica owns is sent on to that
/// owner's Http address (from the shard's Lease) and the owner's answer relayed as it came (status, body, the headers
/// that matter), so an operator reaching a random replica through the chart's Service gets the owner's answer. The
/// caller's <c>Authorization</c> is checked here and goes on as it is, for the owner to check again (this replica adds
/// no credentials of its own); the call carries <see cref="ForwardedHeader"/> and a replica does not forward a call that has it, so a call
/// crosses at most one hop. Runs before the endpoint binds the body, so the body is relayed byte for byte.
/// </summary>
public sealed partial class AdminForwarder(
    IHttpClientFactory clients,
    Ownership ownership,
    IOptions<AdminOptions> options,
    IOptions<LeadershipOptions> leadership,
    ILogger<AdminForwarder> logger)
{
    /// <summary>The header a forwarded call carries: the advertised gRPC address of the replica that forwarded it.</summary>
    public const string ForwardedHeader = "Robinhood-Forwarded-By";

    /// <summary>The name of the one HttpClient (IHttpClientFactory) calls are forwarded with.</summary>
    public const string ClientName = "admin-forward";

    /// <summary>The metadata marking the admin API's endpoints, the only ones forwarded.</summary>
    public static readonly object Route = new AdminRoute();

    // The owner's headers an admin answer carries; hop-by-hop and framing headers are Kestrel's own.
    private static readonly string[] RelayedHeaders = ["Content-Type", AdminEndpoints.OwnerHeader, "WWW-Authenticate", "Retry-After"];

    /// <summary>What became of an admin call for a service this replica does not control: the label of the metric.</summary>
    public enum Outcome
    {
        /// <summary>Forwarded, and the owner answered (whatever its status).</summary>
        Answered,

        /// <summary>Forwarded, and the owner could not be reached (502).</summary>
        Unreachable,

        /// <summary>Forwarded, and the owner did not answer within the deadline (504).</summary>
        Timeout,

        /// <summary>The body was over the admin API's limit (413); not forwarded.</summary>
        TooLarge,

        /// <summary>No owner known, or this replica still taking the shard over (503).</summary>
        NoOwner,

        /// <summary>The owner advertises no Http address, a replica of an earlier version (409).</summary>
        NotAdvertised,

        /// <summary>Already forwarded once by another replica, so not forwarded again (409).</summary>
        Loop,
    }

    /// <summary>Retry-After of a 503 while a shard changes hands: one election round, in whole seconds.</summary>
    public string RetryAfterSeconds { get; } = Math.Max(1, (int)Math.Ceiling(leadership.Value.RetryPeriod.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>Counts a call for a service this replica does not control.</summary>
    public void Count(Outcome outcome) => ControllerMetrics.AdminForwarded.WithLabels(Label(outcome)).Inc();

    /// <summary>Forwards the call when it is for the admin API, for a service another replica owns that can take it; otherwise <paramref name="next"/>.</summary>
    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(next);
        if (http.GetEndpoint()?.Metadata.GetMetadata<AdminRoute>() is null)
        {
            await next(http).ConfigureAwait(false);
            return;
        }

        // The one limit on admin bodies, whichever replica reads them.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = AdminEndpoints.MaxBodyBytes;
        }

        var service = http.Request.RouteValues["service"] as string ?? "";
        if (ownership.Owns(service) || http.Request.Headers.ContainsKey(ForwardedHeader) || string.IsNullOrEmpty(options.Value.Token)
            || ownership.Owner(ownership.Map.Of(service)) is not { HttpAddress: { } address } owner || ownership.IsSelf(owner))
        {
            // Answered here: by the owner, or refused (the admin API off, the owner unknown, or not reachable by Http).
            await next(http).ConfigureAwait(false);
            return;
        }

        // Judged here first as well: a call without the token costs the owner nothing and learns nothing of it.
        if (AdminEndpoints.Unauthenticated(http, options.Value.Token) is { } refusal)
        {
            await refusal.ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        await ForwardAsync(http, service, address).ConfigureAwait(false);
    }

    private async Task ForwardAsync(HttpContext http, string service, string address)
    {
        var body = await ReadBodyAsync(http).ConfigureAwait(false);
        if (body is null)
        {
            Count(Outcome.TooLarge);
            await Results.Problem($"the request body must be at most {AdminEndpoints.MaxBodyBytes} bytes", statusCode: StatusCodes.Status413PayloadTooLarge)
                .ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        var timeout = options.Value.ForwardTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        deadline.CancelAfter(timeout);
        using var request = new HttpRequestMessage(new HttpMethod(http.Request.Method), address + Target(http));
        if (http.Request.Headers.Authorization is { Count: > 0 } authorization)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization.ToString());
        }

        request.Headers.TryAddWithoutValidation(ForwardedHeader, ownership.AdvertisedAddress);
        if (body.Length > 0 || http.Request.ContentLength is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (http.Request.ContentType is { Length: > 0 } type && MediaTypeHeaderValue.TryParse(type, out var media))
            {
                request.Content.Headers.ContentType = media;
            }
        }

        try
        {
            using var response = await clients.CreateClient(ClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            http.Response.StatusCode = (int)response.StatusCode;
            foreach (var name in RelayedHeaders)
            {
                if (response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values))
                {
                    http.Response.Headers[name] = values.ToArray();
                }
            }

            http.Response.Headers[ForwardedHeader] = ownership.AdvertisedAddress;
            http.Response.ContentLength = response.Content.Headers.ContentLength;
            await response.Content.CopyToAsync(http.Response.Body, deadline.Token).ConfigureAwait(false);
            Count(Outcome.Answered);
        }
        catch (Exception e) when ((e is HttpRequestException or OperationCanceledException or IOException) && !http.RequestAborted.IsCancellationRequested)
        {
            var timedOut = e is OperationCanceledException || deadline.IsCancellationRequested;
            Count(timedOut ? Outcome.Timeout : Outcome.Unreachable);
            LogFailed(HttpProblems.Cut(service), address, timedOut ? $"no answer within {timeout}" : e.Message);
            if (http.Response.HasStarted)
            {
                // Part of the owner's answer is out: cut the connection rather than end it as if whole.
                http.Abort();
                return;
            }

            http.Response.Clear();
            http.Response.Headers[AdminEndpoints.OwnerHeader] = ownership.OwnerAddress(ownership.Map.Of(service));
            http.Response.Headers[ForwardedHeader] = ownership.AdvertisedAddress;
            var shown = HttpProblems.Cut(service);
            await (timedOut
                ? Results.Problem($"this replica does not control service '{shown}' and forwarded the call to the owner of its shard at {address}, which did not answer within {timeout} (Robinhood:Admin:ForwardTimeout); retry", statusCode: StatusCodes.Status504GatewayTimeout)
                : Results.Problem($"this replica does not control service '{shown}' and could not reach the owner of its shard at {address} ({e.Message}); retry", statusCode: StatusCodes.Status502BadGateway))
                .ExecuteAsync(http).ConfigureAwait(false);
        }
    }

    /// <summary>The body, at most <see cref="AdminEndpoints.MaxBodyBytes"/>; null when it is longer.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext http)
    {
        if (http.Request.ContentLength > AdminEndpoints.MaxBodyBytes)
        {
            return null;
        }

        using var body = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        try
        {
            while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted).ConfigureAwait(false)) > 0)
            {
                if (body.Length + read > AdminEndpoints.MaxBodyBytes)
                {
                    return null;
                }

                body.Write(buffer, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }

        return body.ToArray();
    }

    /// <summary>The path and query exactly as the caller sent them (escapes kept: a service name may hold '/').</summary>
    private static string Target(HttpContext http) =>
        http.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw && raw[0] == '/'
            ? raw
            : http.Request.Path.ToUriComponent() + http.Request.QueryString.ToUriComponent();

    private static string Label(Outcome outcome) => outcome switch
    {
        Outcome.Answered => "answered",
        Outcome.Unreachable => "unreachable",
        Outcome.Timeout => "timeout",
        Outcome.TooLarge => "too_large",
        Outcome.NoOwner => "no_owner",
        Outcome.NotAdvertised => "not_advertised",
        _ => "loop",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admin call for {Service} not forwarded to its owner at {Address}: {Why}")]
    private partial void LogFailed(string service, string address, string why);

    private sealed class AdminRoute;
}
