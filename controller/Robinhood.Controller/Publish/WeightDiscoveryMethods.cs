using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Robinhood.V1;

namespace Robinhood.Controller.Publish;

/// <summary>
/// Binds <see cref="WeightDiscoveryService"/> to <c>robinhood.v1.WeightDiscovery/Watch</c> with a response
/// marshaller that writes each snapshot's bytes as the cache holds them (<see cref="PublishedSnapshot"/>): every
/// watcher of a service is written the same bytes, encoded once when the snapshot was made; serializing it per
/// stream was most of the server's work in a fan-out to 1,000 watchers. The bytes are a WeightSnapshot's.
/// </summary>
public sealed class WeightDiscoveryMethods : IServiceMethodProvider<WeightDiscoveryService>
{
    private static readonly Method<WatchRequest, PublishedSnapshot> Watch = new(
        MethodType.ServerStreaming,
        WeightDiscovery.Descriptor.FullName,
        "Watch",
        Marshallers.Create(
            static (WatchRequest request, SerializationContext context) => context.Complete(request.ToByteArray()),
            static (DeserializationContext context) => WatchRequest.Parser.ParseFrom(context.PayloadAsReadOnlySequence())),
        Marshallers.Create(
            static (PublishedSnapshot snapshot, SerializationContext context) => context.Complete(snapshot.Bytes),
            static (DeserializationContext context) => PublishedSnapshot.Parse(context.PayloadAsNewBuffer())));

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<WeightDiscoveryService> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.AddServerStreamingMethod(Watch, [], static (service, request, stream, call) => service.Watch(request, stream, call));
    }
}
