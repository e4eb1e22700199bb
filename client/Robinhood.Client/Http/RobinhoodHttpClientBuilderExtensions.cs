using Microsoft.Extensions.Options;
using Robinhood.Client.Http;
using Robinhood.Client.Subscription;
using Robinhood.V1;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Robinhood with IHttpClientFactory.</summary>
public static class RobinhoodHttpClientBuilderExtensions
{
    /// <summary>Balances every request of this client by weight: the request's host, as written, names the service.</summary>
    public static IHttpClientBuilder AddRobinhood(this IHttpClientBuilder builder) => builder.AddRobinhood(null);

    /// <summary>
    /// Balances every request of this client by weight among the endpoints of <paramref name="service"/>, whatever the
    /// URI's host: for names that are not valid hosts (<c>/</c>, capitals behind a <c>BaseAddress</c>). Unset = the host.
    /// </summary>
    public static IHttpClientBuilder AddRobinhood(this IHttpClientBuilder builder, string? service)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (service is not null && !ServiceName.IsValid(service))
        {
            throw new ArgumentException($"Service '{service}' is not a valid service name ({ServiceName.Rule}).", nameof(service));
        }

        builder.Services.AddRobinhoodClient();
        return builder.AddHttpMessageHandler(sp => new RobinhoodHttpHandler(
            sp.GetRequiredService<WeightSubscription>(),
            sp.GetRequiredService<IOptions<RobinhoodClientOptions>>(),
            service));
    }
}
