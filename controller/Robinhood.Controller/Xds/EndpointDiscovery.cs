using Envoy.Service.Discovery.V3;
using Envoy.Service.Endpoint.V3;
using Grpc.Core;

namespace Robinhood.Controller.Xds;

/// <summary><c>envoy.service.endpoint.v3.EndpointDiscoveryService</c>: endpoints alone, for an Envoy cluster of type EDS.</summary>
public sealed class EndpointDiscovery(XdsStreams streams) : EndpointDiscoveryService.EndpointDiscoveryServiceBase
{
    public override Task StreamEndpoints(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context) =>
        streams.SotwAsync("eds", XdsResources.EndpointTypes, requestStream, responseStream, context);

    public override Task DeltaEndpoints(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext context) =>
        streams.DeltaAsync("eds", XdsResources.EndpointTypes, requestStream, responseStream, context);
}
