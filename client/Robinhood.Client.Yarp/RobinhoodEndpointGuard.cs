using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Robinhood.Client.Resilience;
using Robinhood.Client.Subscription;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Robinhood.Client.Yarp;

/// <summary>
/// Runs after YARP's load balancing, around the forwarder: answers 503 with a body that says why when a service has
/// nowhere to send the request (and keeps a destination of weight 0 from traffic: a lone one, which YARP sends to
/// without asking the policy, or one ejected between the policy's pick and this step), reports each outcome for ejection, and retries an idempotent request without a body once on
/// another endpoint, within the service's retry budget: when it failed before any response reached the client, or
/// when the upstream answered 5xx (a response transform asks <see cref="HoldForRetry"/> before that answer is sent).
/// Any request, whatever its method or body, is retried so when it failed to connect: the upstream saw nothing of it.
/// </summary>
internal sealed class RobinhoodEndpointGuard(WeightSubscription subscription, IOptions<RobinhoodClientOptions> options, UpstreamFailureLog failures)
{
    /// <summary>Where a request's one retry goes, once decided (also: this request is past its first try).</summary>
    private static readonly object RetryKey = new();

    private readonly RetryOptions _retry = options.Value.Retry;

    /// <summary>
    /// From the response transform, before an upstream's answer is copied to the client: true when it is a 5xx that
    /// will be retried (the retry is taken from the budget now), so the transform drops its body.
    /// </summary>
    public bool HoldForRetry(HttpContext context, int status)
    {
        if (status < StatusCodes.Status500InternalServerError || context.Items.ContainsKey(RetryKey))
        {
            return false;
        }

        var feature = context.GetReverseProxyFeature();
        if (feature.Cluster.Config.LoadBalancingPolicy != WeightedLoadBalancingPolicy.PolicyName
            || feature.ProxiedDestination is not { } failed
            || RetryDestination(context, subscription.Service(feature.Cluster.Config.ClusterId), failed.DestinationId, neverReached: false) is not { } destination)
        {
            return false;
        }

        context.Items[RetryKey] = destination;
        return true;
    }

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var feature = context.GetReverseProxyFeature();
        var cluster = feature.Cluster.Config;
        if (cluster.LoadBalancingPolicy != WeightedLoadBalancingPolicy.PolicyName)
        {
            await next().ConfigureAwait(false);
            return;
        }

        var weights = subscription.Service(cluster.ClusterId);
        var destinations = feature.AvailableDestinations;
        if (destinations.Count == 1 && weights.Current.WeightOf(destinations[0].DestinationId) == 0)
        {
            // A lone destination YARP chose without the policy, or the policy's pick ejected (or drained) since by
            // another request's failure: another endpoint with a share takes the request, if there is one.
            destinations = weights.TryPickOther(destinations[0].DestinationId, out var other) && FindDestination(feature, other.Address) is { } instead
                ? instead
                : [];
            feature.AvailableDestinations = destinations;
        }

        if (destinations.Count == 0)
        {
            await NoEndpointAsync(context, cluster.ClusterId).ConfigureAwait(false);
            return;
        }

        weights.RecordRequest();
        var (failed, neverReached) = await ForwardAsync(context, next, weights).ConfigureAwait(false);
        if (failed is null || context.Response.HasStarted)
        {
            return;
        }

        // A held 5xx has its retry decided already; a failure without a response decides it now.
        var retryDestination = context.Items.TryGetValue(RetryKey, out var held)
            ? held as DestinationState
            : RetryDestination(context, weights, failed, neverReached);
        if (retryDestination is null)
        {
            return;
        }

        context.Items[RetryKey] = retryDestination;
        context.Features.Set<IForwarderErrorFeature>(null);
        context.Response.Clear();
        feature.AvailableDestinations = retryDestination;
        await ForwardAsync(context, next, weights).ConfigureAwait(false);
    }

    /// <summary>
    /// Another endpoint for a request that failed on <paramref name="failed"/>, with a retry taken from the budget; null
    /// when it is not retried. One that <paramref name="neverReached"/> the upstream (no connection: its body, if any,
    /// is unread) is retried whatever its method; else only an idempotent one without a body.
    /// </summary>
    private DestinationState? RetryDestination(HttpContext context, ServiceWeights weights, string failed, bool neverReached) =>
        _retry.Enabled
        && (neverReached || IsReplayable(context))
        && weights.TryPickOther(failed, out var other)
        && FindDestination(context.GetReverseProxyFeature(), other.Address) is { } destination
        && weights.TryRetry()
            ? destination
            : null;

    /// <summary>Forwards once and reports the outcome; returns the endpoint when it failed, and whether the request never reached it.</summary>
    private async Task<(string? Failed, bool NeverReached)> ForwardAsync(HttpContext context, Func<Task> next, ServiceWeights weights)
    {
        await next().ConfigureAwait(false);
        var feature = context.GetReverseProxyFeature();
        if (feature.ProxiedDestination is not { } destination)
        {
            return (null, false);
        }

        var endpoint = destination.DestinationId;
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is not null && IsUpstreamFault(error.Error))
        {
            weights.ReportFailure(endpoint);
            failures.Failed(weights.Service, endpoint, error.Error, error.Exception);
            return (endpoint, NeverReached(error));
        }

        if (error is null && context.Response.StatusCode >= StatusCodes.Status500InternalServerError)
        {
            weights.ReportFailure(endpoint);
            return (endpoint, false);
        }

        if (error is null)
        {
            weights.ReportSuccess(endpoint);
        }

        return (null, false);
    }

    /// <summary>No connection to the upstream was made (refused, unreachable, no such name): nothing of the request was sent.</summary>
    private static bool NeverReached(IForwarderErrorFeature error) =>
        error.Error == ForwarderError.Request
        && error.Exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };

    /// <summary>Errors the upstream caused; the client's own (it went away, sent a bad body) say nothing about the endpoint.</summary>
    private static bool IsUpstreamFault(ForwarderError error) => error is ForwarderError.Request
        or ForwarderError.RequestTimedOut
        or ForwarderError.RequestBodyDestination
        or ForwarderError.ResponseHeaders
        or ForwarderError.ResponseBodyDestination
        or ForwarderError.UpgradeRequestDestination
        or ForwarderError.UpgradeResponseDestination;

    /// <summary>Safe to send again: an idempotent method and no request body (it was streamed upstream, not kept).</summary>
    private static bool IsReplayable(HttpContext context)
    {
        var method = context.Request.Method;
        var idempotent = HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
            || HttpMethods.IsTrace(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);
        return idempotent && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != true;
    }

    private static DestinationState? FindDestination(IReverseProxyFeature feature, string endpoint)
    {
        var all = feature.Route.Cluster?.DestinationsState.AvailableDestinations ?? [];
        foreach (var destination in all)
        {
            if (destination.DestinationId == endpoint)
            {
                return destination;
            }
        }

        return null;
    }

    private static async Task NoEndpointAsync(HttpContext context, string service)
    {
        ClientMetrics.NoEndpoint.Add(1, ClientMetrics.Service(service));
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(
            $"Robinhood: service '{service}' has no endpoints that can take requests.\n",
            context.RequestAborted).ConfigureAwait(false);
    }
}
