using System.Buffers;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Robinhood.Control;
using Robinhood.V1;

namespace Robinhood.Controller.Publish;

/// <summary>
/// A snapshot as the <see cref="SnapshotCache"/> holds it: its wire bytes (what Watch writes and Redis stores), with
/// the fields the cache orders by. The message itself is parsed on first use, for the readers that need its
/// endpoints as objects (xDS, a follower's dashboard). Never changed once made.
/// </summary>
public sealed class PublishedSnapshot
{
    private WeightSnapshot? _message;

    private PublishedSnapshot(string service, ulong version, Timestamp? computedAt, byte[] bytes, WeightSnapshot? message)
    {
        Service = service;
        Version = version;
        ComputedAt = computedAt?.ToDateTimeOffset();
        Bytes = bytes;
        _message = message;
    }

    public string Service { get; }

    /// <summary>0 for the empty snapshot of a service nobody reports into.</summary>
    public ulong Version { get; }

    /// <summary>When the controller made it (null on a snapshot that does not say).</summary>
    public DateTimeOffset? ComputedAt { get; }

    /// <summary>The encoded <see cref="WeightSnapshot"/>; not to be written to.</summary>
    public byte[] Bytes { get; }

    /// <summary>The snapshot as a message, parsed once; not to be changed.</summary>
    public WeightSnapshot Message
    {
        get
        {
            // Two readers may both parse it; one result is kept.
            if (_message is null)
            {
                Interlocked.CompareExchange(ref _message, WeightSnapshot.Parser.ParseFrom(Bytes), null);
            }

            return _message;
        }
    }

    /// <summary>The empty snapshot (version 0) of a service the cache does not hold.</summary>
    public static PublishedSnapshot Empty(string service) => Of(new WeightSnapshot { Service = service, Version = 0 });

    /// <summary>A snapshot made as a message (stored, or taken from another controller).</summary>
    public static PublishedSnapshot Of(WeightSnapshot message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new PublishedSnapshot(message.Service, message.Version, message.ComputedAt, message.ToByteArray(), message);
    }

    /// <summary>A snapshot as read from its wire bytes (Redis); the bytes are kept, not copied.</summary>
    public static PublishedSnapshot Parse(byte[] bytes)
    {
        var message = WeightSnapshot.Parser.ParseFrom(bytes);
        return new PublishedSnapshot(message.Service, message.Version, message.ComputedAt, bytes, message);
    }

    /// <summary>
    /// The snapshot of <paramref name="weights"/> encoded straight to bytes, without a message object per endpoint:
    /// the same bytes as the generated code writes for the <see cref="WeightSnapshot"/> with these fields. They are
    /// written into <paramref name="spare"/> when it has exactly their size (an array made ready before, nobody else's),
    /// into a new array otherwise.
    /// </summary>
    public static PublishedSnapshot Encode(ServiceWeights weights, ulong version, DateTimeOffset computedAt, byte[]? spare = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var timestamp = Timestamp.FromDateTimeOffset(computedAt);
        var endpoints = weights.Endpoints;
        // Each endpoint's size is measured once (its strings' UTF-8 lengths), for the total and for its length prefix.
        var sizes = ArrayPool<int>.Shared.Rent(endpoints.Count);
        try
        {
            var size = weights.Service.Length != 0 ? CodedOutputStream.ComputeStringSize(weights.Service) + 1 : 0;
            if (version != 0)
            {
                size += CodedOutputStream.ComputeUInt64Size(version) + 1;
            }

            for (var i = 0; i < endpoints.Count; i++)
            {
                sizes[i] = Size(endpoints[i]);
                size += CodedOutputStream.ComputeLengthSize(sizes[i]) + sizes[i] + 1;
            }

            size += CodedOutputStream.ComputeMessageSize(timestamp) + 1;

            var bytes = spare?.Length == size ? spare : new byte[size];
            var output = new CodedOutputStream(bytes);
            // Fields in number order, defaults left out, as WeightSnapshot.WriteTo does.
            if (weights.Service.Length != 0)
            {
                output.WriteRawTag(10);
                output.WriteString(weights.Service);
            }

            if (version != 0)
            {
                output.WriteRawTag(16);
                output.WriteUInt64(version);
            }

            for (var i = 0; i < endpoints.Count; i++)
            {
                output.WriteRawTag(26);
                output.WriteLength(sizes[i]);
                Write(output, endpoints[i]);
            }

            output.WriteRawTag(34);
            output.WriteMessage(timestamp);
            output.CheckNoSpaceLeft();
            return new PublishedSnapshot(weights.Service, version, timestamp, bytes, message: null);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(sizes);
        }
    }

    /// <summary>The published utilization: the signal, or 0 where it is not finite.</summary>
    public static double Utilization(WeightedEndpoint e) => double.IsFinite(e.Utilization) ? e.Utilization : 0;

    /// <summary>The encoded size of one EndpointWeight, as its CalculateSize gives it.</summary>
    private static int Size(WeightedEndpoint e)
    {
        var size = 0;
        if (e.Endpoint.Length != 0)
        {
            size += 1 + CodedOutputStream.ComputeStringSize(e.Endpoint);
        }

        if (e.Weight != 0)
        {
            size += 1 + CodedOutputStream.ComputeUInt32Size(e.Weight);
        }

        if (e.Zone.Length != 0)
        {
            size += 1 + CodedOutputStream.ComputeStringSize(e.Zone);
        }

        if (SnapshotPublisher.ToState(e.Phase) != EndpointState.Unspecified)
        {
            size += 1 + CodedOutputStream.ComputeEnumSize((int)SnapshotPublisher.ToState(e.Phase));
        }

        if (Utilization(e) != 0D)
        {
            size += 1 + 8;
        }

        return size;
    }

    /// <summary>One EndpointWeight's fields, as its WriteTo writes them.</summary>
    private static void Write(CodedOutputStream output, WeightedEndpoint e)
    {
        if (e.Endpoint.Length != 0)
        {
            output.WriteRawTag(10);
            output.WriteString(e.Endpoint);
        }

        if (e.Weight != 0)
        {
            output.WriteRawTag(16);
            output.WriteUInt32(e.Weight);
        }

        if (e.Zone.Length != 0)
        {
            output.WriteRawTag(26);
            output.WriteString(e.Zone);
        }

        if (SnapshotPublisher.ToState(e.Phase) is var state && state != EndpointState.Unspecified)
        {
            output.WriteRawTag(32);
            output.WriteEnum((int)state);
        }

        if (Utilization(e) is var utilization && utilization != 0D)
        {
            output.WriteRawTag(41);
            output.WriteDouble(utilization);
        }
    }
}
