using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Options;
using Robinhood.Client.Resilience;
using Robinhood.Client.Subscription;
using Robinhood.V1;

namespace Robinhood.Client.Http;

/// <summary>
/// Sends <c>http://&lt;service&gt;/path</c> to an endpoint of the service, picked by weight for every request. Reports
/// every outcome for ejection, and retries once on another endpoint within the budget, before any response reached the
/// caller: an idempotent request that failed or got a 5xx, and any request whose try never got a connection.
/// </summary>
public sealed class RobinhoodHttpHandler : DelegatingHandler
{
    /// <summary>Names the service of one request explicitly (any valid name, whatever the URI's host).</summary>
    public static readonly HttpRequestOptionsKey<string> ServiceOption = new("Robinhood.Service");

    private readonly WeightSubscription _subscription;
    private readonly RetryOptions _retry;
    private readonly string? _service;

    /// <summary>Creates the handler; with <paramref name="service"/> every request goes to that service, whatever its host.</summary>
    public RobinhoodHttpHandler(WeightSubscription subscription, IOptions<RobinhoodClientOptions> options, string? service = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (service is not null && !ServiceName.IsValid(service))
        {
            throw new ArgumentException($"Service '{service}' is not a valid service name ({ServiceName.Rule}).", nameof(service));
        }

        _subscription = subscription;
        _retry = options.Value.Retry;
        _service = service;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.RequestUri is not { IsAbsoluteUri: true } uri)
        {
            throw new InvalidOperationException("A Robinhood client needs an absolute request URI: http://<service>/path.");
        }

        var service = ServiceOf(request, uri);
        var weights = _subscription.Service(service);
        var table = await weights.WaitForSnapshotAsync(cancellationToken).ConfigureAwait(false);
        if (!table.TryPick(out var endpoint))
        {
            ClientMetrics.NoEndpoint.Add(1, ClientMetrics.Service(service));
            throw new HttpRequestException(
                HttpRequestError.ConnectionError,
                table.IsPlaceholder
                    ? $"No weights for service '{service}' from the controller yet."
                    : $"Service '{service}' has no endpoint with a weight above 0.");
        }

        weights.RecordRequest();
        var (response, failure) = await TryAsync(request, uri, weights, endpoint, cancellationToken).ConfigureAwait(false);
        if (_retry.Enabled
            && IsResendable(request.Content)
            && (IsIdempotent(request.Method) ? response is null || IsFailure(response) : NeverReached(failure))
            && weights.TryPickOther(endpoint.Address, out var other)
            && weights.TryRetry())
        {
            response?.Dispose();
            (response, failure) = await TryAsync(request, uri, weights, other, cancellationToken).ConfigureAwait(false);
        }

        if (response is null)
        {
            failure!.Throw();
        }

        return response!;
    }

    /// <summary>The service a request is for: the handler's own, the request's option, else the URI's host as written.</summary>
    private string ServiceOf(HttpRequestMessage request, Uri uri)
    {
        if (_service is not null)
        {
            return _service;
        }

        if (request.Options.TryGetValue(ServiceOption, out var named))
        {
            return ServiceName.IsValid(named)
                ? named
                : throw new InvalidOperationException($"RobinhoodHttpHandler.ServiceOption '{named}' is not a valid service name ({ServiceName.Rule}).");
        }

        // Uri lowercases its host; a service with capitals keeps them as the caller wrote them.
        var host = uri.IdnHost;
        var original = uri.OriginalString;
        var start = original.IndexOf("://", StringComparison.Ordinal);
        if (start >= 0 && original.Length >= start + 3 + host.Length
            && string.Equals(original.Substring(start + 3, host.Length), host, StringComparison.OrdinalIgnoreCase))
        {
            return original.Substring(start + 3, host.Length);
        }

        return host;
    }

    private async Task<(HttpResponseMessage? Response, ExceptionDispatchInfo? Failure)> TryAsync(
        HttpRequestMessage request, Uri uri, ServiceWeights weights, WeightedEndpoint endpoint, CancellationToken cancellationToken)
    {
        ClientMetrics.Picks.Add(1, ClientMetrics.Service(weights.Service), ClientMetrics.Endpoint(endpoint.Address));
        request.RequestUri = new UriBuilder(uri) { Host = endpoint.Host, Port = endpoint.Port }.Uri;
        using var perTry = weights.StartTry(cancellationToken);
        try
        {
            var response = await base.SendAsync(request, perTry?.Token ?? cancellationToken).ConfigureAwait(false);
            if (IsFailure(response))
            {
                weights.ReportFailure(endpoint.Address);
            }
            else
            {
                weights.ReportSuccess(endpoint.Address);
            }

            return (response, null);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && perTry?.Expired == true)
        {
            weights.ReportFailure(endpoint.Address);
            return (null, ExceptionDispatchInfo.Capture(new HttpRequestException(
                HttpRequestError.Unknown,
                $"{endpoint.Address} of service '{weights.Service}' did not answer within Robinhood:Retry:PerTryTimeout ({perTry.Timeout}).",
                ex)));
        }
        catch (HttpRequestException ex)
        {
            weights.ReportFailure(endpoint.Address);
            return (null, ExceptionDispatchInfo.Capture(ex));
        }
    }

    private static bool IsFailure(HttpResponseMessage response) => (int)response.StatusCode >= 500;

    /// <summary>Methods that may run twice: a request of one is retried whatever its first try's failure.</summary>
    private static bool IsIdempotent(HttpMethod method) => method == HttpMethod.Get || method == HttpMethod.Head
        || method == HttpMethod.Options || method == HttpMethod.Trace || method == HttpMethod.Put || method == HttpMethod.Delete;

    /// <summary>No body, or one kept in memory that can be sent again.</summary>
    private static bool IsResendable(HttpContent? content) => content is null or ByteArrayContent or ReadOnlyMemoryContent;

    /// <summary>
    /// The try failed before a connection existed (refused, unreachable, no such name): the backend saw nothing, so even
    /// a POST is safe on another endpoint. A failure on a connection, a timeout or a 5xx may have run it.
    /// </summary>
    private static bool NeverReached(ExceptionDispatchInfo? failure) =>
        failure?.SourceException is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };
}
