using Robinhood.Client.Subscription;

namespace Robinhood.Client.Http;

/// <summary>Sends <c>http://&lt;service&gt;/path</c> to an endpoint of the service, picked by weight for every request.</summary>
public sealed class RobinhoodHttpHandler : DelegatingHandler
{
    private readonly WeightSubscription _subscription;

    /// <summary>Creates the handler over the process's weight subscription.</summary>
    public RobinhoodHttpHandler(WeightSubscription subscription) => _subscription = subscription;

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.RequestUri is not { IsAbsoluteUri: true } uri)
        {
            throw new InvalidOperationException("A Robinhood client needs an absolute request URI: http://<service>/path.");
        }

        var service = uri.IdnHost;
        var table = await _subscription.Service(service)
            .WaitForSnapshotAsync(cancellationToken)
            .ConfigureAwait(false);
        if (!table.TryPick(out var endpoint))
        {
            ClientMetrics.NoEndpoint.WithLabels(service).Inc();
            throw new HttpRequestException(
                HttpRequestError.ConnectionError,
                table.IsPlaceholder
                    ? $"No weights for service '{service}' from the controller yet."
                    : $"Service '{service}' has no endpoint with a weight above 0.");
        }

        ClientMetrics.Picks.WithLabels(service, endpoint.Address).Inc();
        request.RequestUri = new UriBuilder(uri) { Host = endpoint.Host, Port = endpoint.Port }.Uri;
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
