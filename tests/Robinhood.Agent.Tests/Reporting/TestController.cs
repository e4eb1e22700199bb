using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Robinhood.V1;

namespace Robinhood.Agent.Tests.Reporting;

/// <summary>A real LoadReporter gRPC service on loopback Kestrel (HTTP/2 cleartext) that records what agents send.</summary>
internal sealed class TestController : LoadReporter.LoadReporterBase, IAsyncDisposable
{
    private readonly Channel<ReceivedReport> _reports = Channel.CreateUnbounded<ReceivedReport>();
    private readonly CancellationTokenSource _closeStreams = new();
    private WebApplication? _app;
    private int _streams;

    /// <summary>The ack for each report; by default accepted at once. May wait, but must honour the token.</summary>
    public Func<LoadReport, CancellationToken, Task<ReportAck>> Ack { get; set; } = (report, _) => Task.FromResult(Accept(report));

    /// <summary>Completes when an agent completes its side of a stream (graceful shutdown).</summary>
    public TaskCompletionSource ClientCompleted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri Address => _app!.Address();

    public static async Task<TestController> StartAsync(int port = 0)
    {
        var controller = new TestController();
        controller._app = await LoopbackServer.StartAsync(
            builder => builder.Services.AddGrpc().Services.AddSingleton(controller),
            app => app.MapGrpcService<TestController>(),
            HttpProtocols.Http2,
            port);
        return controller;
    }

    public static ReportAck Accept(LoadReport report, TimeSpan? interval = null) => new()
    {
        Service = report.Service,
        Endpoint = report.Endpoint,
        Sequence = report.Sequence,
        Accepted = true,
        ReportInterval = interval is { } requested ? Duration.FromTimeSpan(requested) : null,
    };

    public async Task<ReceivedReport> NextReportAsync() =>
        await _reports.Reader.ReadAsync().AsTask().WaitAsync(LoopbackServer.Timeout);

    /// <summary>True when a report arrives within <paramref name="window"/>; for asserting that none is sent.</summary>
    public async Task<bool> ReportArrivesWithinAsync(TimeSpan window)
    {
        await Task.WhenAny(_reports.Reader.WaitToReadAsync().AsTask(), Task.Delay(window));
        return _reports.Reader.TryPeek(out _);
    }

    public override async Task Report(IAsyncStreamReader<LoadReport> requestStream, IServerStreamWriter<ReportAck> responseStream, ServerCallContext context)
    {
        var stream = Interlocked.Increment(ref _streams);
        var authorization = context.RequestHeaders.GetValue("authorization");
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _closeStreams.Token);
        try
        {
            await foreach (var report in requestStream.ReadAllAsync(cancellation.Token))
            {
                _reports.Writer.TryWrite(new ReceivedReport(report, stream, authorization));
                await responseStream.WriteAsync(await Ack(report, cancellation.Token), cancellation.Token);
            }

            ClientCompleted.TrySetResult();
        }
        catch (OperationCanceledException) when (_closeStreams.IsCancellationRequested)
        {
            // Returning ends the stream with OK, as a controller shutting down does.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closeStreams.CancelAsync();
        await _app!.DisposeAsync();
        _closeStreams.Dispose();
    }
}

/// <summary>A report as the controller received it: on which stream (1-based, in order of opening) and with which authorization header.</summary>
internal sealed record ReceivedReport(LoadReport Report, int Stream, string? Authorization);
