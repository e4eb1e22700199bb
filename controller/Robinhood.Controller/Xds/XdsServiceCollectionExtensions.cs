namespace Robinhood.Controller.Xds;

/// <summary>Registers the xDS services (ADS and EDS) on the controller's gRPC endpoint.</summary>
public static class XdsServiceCollectionExtensions
{
    public static IServiceCollection AddXds(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<XdsOptions>().BindConfiguration(XdsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<XdsStreams>();
        // Requests are bounded here, before they are parsed; the rest of the gRPC port keeps its own limit.
        var maxRequest = configuration.GetValue<int?>($"{XdsOptions.Section}:{nameof(XdsOptions.MaxRequestBytes)}") ?? new XdsOptions().MaxRequestBytes;
        services.AddGrpc()
            .AddServiceOptions<AggregatedDiscovery>(o => o.MaxReceiveMessageSize = maxRequest)
            .AddServiceOptions<EndpointDiscovery>(o => o.MaxReceiveMessageSize = maxRequest);
        return services;
    }

    public static void MapXds(this IEndpointRouteBuilder app)
    {
        app.MapGrpcService<AggregatedDiscovery>();
        app.MapGrpcService<EndpointDiscovery>();
    }
}
