using Microsoft.Extensions.DependencyInjection;
using Robinhood.Client.Yarp;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds Robinhood's step to a YARP pipeline.</summary>
public static class RobinhoodProxyApplicationBuilderExtensions
{
    /// <summary>
    /// After <c>UseLoadBalancing()</c>: answers 503 with a reason when a service has no endpoint to take a request,
    /// reports every upstream outcome for outlier ejection, retries a safe request once on another endpoint within
    /// the retry budget, and logs a failing upstream once per endpoint per 10 s without a stack trace.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseRobinhood(this IReverseProxyApplicationBuilder proxy)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        var guard = proxy.ApplicationServices.GetRequiredService<RobinhoodEndpointGuard>();
        proxy.Use((context, next) => guard.InvokeAsync(context, next));
        return proxy;
    }
}
