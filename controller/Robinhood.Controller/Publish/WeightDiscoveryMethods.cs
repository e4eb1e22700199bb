using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Robinhood.V1;

namespace Robinhood.Controller.Publish;

/// <summary>
/// Binds <see cref="WeightDiscoveryService"/> to <c>robinhood.v1.WeightDiscovery/Watch</c> with a response
/// marshaller that serializes each snapshot once. Every watcher of a service is written the same snapshot
/// instance; serializing it again per stream was most of the server's work in a fan-out to 1,000 watchers.
/// The bytes on the wire are the generated marshaller's.
/// </summary>
public sealed class WeightDiscoveryMethods : IServiceMethodProvider<WeightDiscoveryService>
{
    // Keyed by the snapshot instance; an entry lives as long as its snapshot. Snapshots are not changed
    // once published.
    private static readonly ConditionalWeakTable<WeightSnapshot, byte[]> Encoded = new();

    private static readonly Method<WatchRequest, WeightSnapshot> Watch = new(
        MethodType.ServerStreaming,
        WeightDiscovery.Descriptor.FullName,
        "Watch",
        Marshallers.Create(
            static (WatchRequest request, SerializationContext context) => context.Complete(request.ToByteArray()),
            static (DeserializationContext context) => WatchRequest.Parser.ParseFrom(context.PayloadAsReadOnlySequence())),
        Marshallers.Create(
            static (WeightSnapshot snapshot, SerializationContext context) => context.Complete(Encode(snapshot)),
            static (DeserializationContext context) => WeightSnapshot.Parser.ParseFrom(context.PayloadAsReadOnlySequence())));

    /// <summary>The snapshot's wire bytes, serialized on first use.</summary>
    private static byte[] Encode(WeightSnapshot snapshot) => Encoded.GetValue(snapshot, static s => s.ToByteArray());

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<WeightDiscoveryService> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.AddServerStreamingMethod(Watch, [], static (service, request, stream, call) => service.Watch(request, stream, call));
    }
}
