using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Robinhood.Client.Subscription;

namespace Robinhood.Client.Http;

/// <summary>Registers Robinhood with IHttpClientFactory.</summary>
public static class RobinhoodHttpClientBuilderExtensions
{
    /// <summary>Balances every request of this client by weight: the request's host names the service.</summary>
    public static IHttpClientBuilder AddRobinhood(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddRobinhoodClient();
        builder.Services.TryAddTransient<RobinhoodHttpHandler>();
        return builder.AddHttpMessageHandler<RobinhoodHttpHandler>();
    }
}
