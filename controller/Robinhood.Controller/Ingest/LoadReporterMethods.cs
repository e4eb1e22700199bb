using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Robinhood.V1;

namespace Robinhood.Controller.Ingest;

/// <summary>
/// Binds <see cref="LoadReporterService"/> to <c>robinhood.v1.LoadReporter/Report</c> with a request
/// marshaller that turns bytes that are not UTF-8 into a refusal (<see cref="IncomingReport"/>) rather
/// than an error that ends the stream. The bytes on the wire are the generated marshaller's.
/// </summary>
public sealed class LoadReporterMethods : IServiceMethodProvider<LoadReporterService>
{
    private static readonly Method<IncomingReport, ReportAck> Report = new(
        MethodType.DuplexStreaming,
        LoadReporter.Descriptor.FullName,
        "Report",
        Marshallers.Create(
            static (IncomingReport report, SerializationContext context) => context.Complete(report.Report.ToByteArray()),
            static (DeserializationContext context) => IncomingReport.Parse(context.PayloadAsReadOnlySequence())),
        Marshallers.Create(
            static (ReportAck ack, SerializationContext context) =>
            {
                // Written into the response's own buffer: no array and no CodedOutputStream per ack.
                context.SetPayloadLength(ack.CalculateSize());
                ack.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            static (DeserializationContext context) => ReportAck.Parser.ParseFrom(context.PayloadAsReadOnlySequence())));

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<LoadReporterService> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.AddDuplexStreamingMethod(Report, [], static (service, requests, responses, call) => service.Report(requests, responses, call));
    }
}
