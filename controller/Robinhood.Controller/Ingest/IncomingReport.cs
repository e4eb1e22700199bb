using System.Buffers;
using System.Text;
using Google.Protobuf;
using Robinhood.V1;

namespace Robinhood.Controller.Ingest;

/// <summary>
/// A report as it came off the wire. A report whose string fields are not UTF-8 cannot be a
/// <see cref="LoadReport"/>; it arrives with what could be read of it and the refusal naming the field,
/// so it is acked like any bad value and the stream stays open (docs/trust.md).
/// </summary>
public sealed record IncomingReport(LoadReport Report, Refusal? NotUtf8)
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses a report; bytes that are not UTF-8 in a string field give a refused one instead of an error.</summary>
    public static IncomingReport Parse(ReadOnlySequence<byte> payload)
    {
        try
        {
            return new IncomingReport(LoadReport.Parser.ParseFrom(payload), null);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or DecoderFallbackException)
        {
            if (ParseUndecodable(payload.ToArray()) is { } undecodable)
            {
                return undecodable;
            }

            throw;
        }
    }

    /// <summary>The fields an ack echoes, read as bytes; null when the first invalid field is not a string one.</summary>
    private static IncomingReport? ParseUndecodable(byte[] payload)
    {
        var report = new LoadReport();
        Refusal? refusal = null;
        var input = new CodedInputStream(payload);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag)
            {
                case (LoadReport.ServiceFieldNumber << 3) | 2:
                    report.Service = Decode(input.ReadBytes(), "service", ref refusal);
                    break;
                case (LoadReport.EndpointFieldNumber << 3) | 2:
                    report.Endpoint = Decode(input.ReadBytes(), "endpoint", ref refusal);
                    break;
                case (LoadReport.ZoneFieldNumber << 3) | 2:
                    report.Zone = Decode(input.ReadBytes(), "zone", ref refusal);
                    break;
                case LoadReport.SequenceFieldNumber << 3:
                    report.Sequence = input.ReadUInt64();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return refusal is null ? null : new IncomingReport(report, refusal);
    }

    /// <summary>The field's text, or for bytes that are not UTF-8 a lossy copy (for the ack, cut) and the first refusal.</summary>
    private static string Decode(ByteString bytes, string field, ref Refusal? refusal)
    {
        try
        {
            return Strict.GetString(bytes.Span);
        }
        catch (DecoderFallbackException)
        {
            refusal ??= Refusal.Of(RefusalReason.NotUtf8, field, "must be valid UTF-8");
            return Refusal.Cut(Encoding.UTF8.GetString(bytes.Span));
        }
    }
}
