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
/// nowhere to send the request (and keeps a lone destination of weight 0 from traffic, which YARP sends to without
/// asking the policy), reports each outcome for ejection, and retries a request without a body that failed before
/// any response reached the client once on another endpoint, within the service's retry budget.
/// </summary>
internal sealed class RobinhoodEndpointGuard(WeightSubscription subscription, IOptions<RobinhoodClientOptions> options, UpstreamFailureLog failures)
{
    private readonly RetryOptions _retry = options.Value.Retry;

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
            destinations = [];
            feature.AvailableDestinations = destinations;
        }

        if (destinations.Count == 0)
        {
            await NoEndpointAsync(context, cluster.ClusterId).ConfigureAwait(false);
            return;
        }

        weights.RecordRequest();
        var failed = await ForwardAsync(context, next, weights).ConfigureAwait(false);
        if (failed is null
            || context.Response.HasStarted
            || !_retry.Enabled
            || !IsReplayable(context)
            || !weights.TryPickOther(failed, out var other)
            || FindDestination(feature, other.Address) is not { } retryDestination
            || !weights.TryRetry())
        {
            return;
        }

        context.Features.Set<IForwarderErrorFeature>(null);
        context.Response.Clear();
        feature.AvailableDestinations = retryDestination;
        await ForwardAsync(context, next, weights).ConfigureAwait(false);
    }

    /// <summary>Forwards once and reports the outcome; returns the endpoint when it failed.</summary>
    private async Task<string?> ForwardAsync(HttpContext context, Func<Task> next, ServiceWeights weights)
    {
        await next().ConfigureAwait(false);
        var feature = context.GetReverseProxyFeature();
        if (feature.ProxiedDestination is not { } destination)
        {
            return null;
        }

        var endpoint = destination.DestinationId;
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is not null && IsUpstreamFault(error.Error))
        {
            weights.ReportFailure(endpoint);
            failures.Failed(weights.Service, endpoint, error.Error, error.Exception);
            return endpoint;
        }

        if (error is null && context.Response.StatusCode >= StatusCodes.Status500InternalServerError)
        {
            weights.ReportFailure(endpoint);
            return endpoint;
        }

        if (error is null)
        {
            weights.ReportSuccess(endpoint);
        }

        return null;
    }

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
