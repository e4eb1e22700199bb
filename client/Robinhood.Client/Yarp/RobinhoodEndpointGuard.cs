using Microsoft.AspNetCore.Http;
using Robinhood.Client.Subscription;
using Yarp.ReverseProxy.Model;

namespace Robinhood.Client.Yarp;

/// <summary>
/// Runs after YARP's load balancing: answers 503 with a body that says why when a service has nowhere to
/// send the request, and keeps a lone destination of weight 0 (YARP skips the policy for one) from traffic.
/// </summary>
internal sealed class RobinhoodEndpointGuard(WeightSubscription subscription)
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var feature = context.GetReverseProxyFeature();
        var cluster = feature.Cluster.Config;
        var destinations = feature.AvailableDestinations;
        var weighted = cluster.LoadBalancingPolicy == WeightedLoadBalancingPolicy.PolicyName;
        if (weighted && destinations.Count == 1 && subscription.Service(cluster.ClusterId).Current.WeightOf(destinations[0].DestinationId) == 0)
        {
            destinations = [];
            feature.AvailableDestinations = destinations;
        }

        if (destinations.Count > 0)
        {
            await next().ConfigureAwait(false);
            return;
        }

        ClientMetrics.NoEndpoint.WithLabels(cluster.ClusterId).Inc();
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(
            $"Robinhood: service '{cluster.ClusterId}' has no endpoints that can take requests.\n",
            context.RequestAborted).ConfigureAwait(false);
    }
}
