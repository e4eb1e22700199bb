using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Robinhood.V1;

namespace Robinhood.ScaleBench.Hosting;

/// <summary>
/// The baseline for ingest: a LoadReporter that only acks, hosted like the controller (its own process,
/// Kestrel HTTP/2 cleartext, server GC), so the ratio against it is what the controller's own work costs.
/// </summary>
public static class AckOnlyServer
{
    /// <summary>The first argument that runs this process as the ack-only server.</summary>
    public const string Command = "ack-server";

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<AckOnlyReporter>();
        app.MapGet("/healthz", () => Results.Text("ok"));
        return app;
    }
}

/// <summary>Answers every report with an accepted ack, and does nothing else.</summary>
public sealed class AckOnlyReporter : LoadReporter.LoadReporterBase
{
    private static readonly Duration Interval = Duration.FromTimeSpan(TimeSpan.FromSeconds(1));

    public override async Task Report(
        IAsyncStreamReader<LoadReport> requestStream,
        IServerStreamWriter<ReportAck> responseStream,
        ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await foreach (var report in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(new ReportAck
                {
                    Service = report.Service,
                    Endpoint = report.Endpoint,
                    Sequence = report.Sequence,
                    Accepted = true,
                    ReportInterval = Interval,
                }, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The load generator went away.
        }
    }
}
