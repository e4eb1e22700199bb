using Envoy.Service.Discovery.V3;
using Grpc.Core;

namespace Robinhood.Controller.Xds;

/// <summary><c>envoy.service.discovery.v3.AggregatedDiscoveryService</c>: listeners, clusters and endpoints on one stream.</summary>
public sealed class AggregatedDiscovery(XdsStreams streams) : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
{
    public override Task StreamAggregatedResources(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context) =>
        streams.SotwAsync("ads", XdsResources.AllTypes, requestStream, responseStream, context);

    public override Task DeltaAggregatedResources(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext context) =>
        streams.DeltaAsync("ads", XdsResources.AllTypes, requestStream, responseStream, context);
}
