using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Robinhood.Client.Subscription;
using Robinhood.Client.Yarp;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Transforms;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Robinhood with YARP.</summary>
public static class RobinhoodReverseProxyExtensions
{
    /// <summary>
    /// Adds the <c>robinhood_wrr</c> policy, routes and clusters from <c>Robinhood:Proxy</c> that follow each
    /// service's membership, and HTTP/2 upstream requests for HTTP/2 (gRPC) downstream ones. Pair it with
    /// <c>proxy.UseRobinhood()</c> after <c>proxy.UseLoadBalancing()</c> in <c>MapReverseProxy</c>.
    /// </summary>
    public static IReverseProxyBuilder AddRobinhood(this IReverseProxyBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddRobinhoodClient();
        services.AddOptions<RobinhoodProxyOptions>()
            .BindConfiguration(RobinhoodProxyOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RobinhoodProxyOptions>, RobinhoodProxyOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoadBalancingPolicy, WeightedLoadBalancingPolicy>(sp => new WeightedLoadBalancingPolicy(
            sp.GetRequiredService<WeightSubscription>(),
            sp.GetRequiredKeyedService<Random>(RobinhoodClientServiceCollectionExtensions.RandomKey))));
        services.AddSingleton<IProxyConfigProvider, RobinhoodProxyConfigProvider>();
        services.TryAddSingleton<UpstreamFailureLog>();
        services.TryAddSingleton<RobinhoodEndpointGuard>();
        builder.AddTransforms(context => context.AddRequestTransform(transform =>
        {
            // Upstreams are cleartext: gRPC needs HTTP/2 by prior knowledge, which "2.0 or lower" would never try.
            if (HttpProtocol.IsHttp2(transform.HttpContext.Request.Protocol))
            {
                transform.ProxyRequest.Version = HttpVersion.Version20;
                transform.ProxyRequest.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            }

            return ValueTask.CompletedTask;
        }).AddResponseTransform(transform =>
        {
            // A 5xx that will be retried elsewhere is not sent on: the retry's answer is.
            if (transform.ProxyResponse is { } response
                && transform.HttpContext.RequestServices.GetRequiredService<RobinhoodEndpointGuard>().HoldForRetry(transform.HttpContext, (int)response.StatusCode))
            {
                transform.SuppressResponseBody = true;
            }

            return ValueTask.CompletedTask;
        }));
        return builder;
    }
}
