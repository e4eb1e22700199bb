using System.Buffers.Binary;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Controller.Hosting;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Ingest;

/// <summary>What one Report stream may hold or withhold, over real Kestrel: services per stream, silence, a message that never ends.</summary>
public sealed class StreamLimitsTests
{
    [Fact]
    public async Task Report_PastServicesPerStream_RefusedStreamLimit_KnownOnesAndOtherStreamsAccepted()
    {
        await using var controller = await RunningController.StartAsync(new FakeTimeProvider(), "--Robinhood:Limits:MaxServicesPerStream=2");
        using var stream = new RawReportStream(controller);
        Assert.True((await stream.SendAsync(Report("a", 1))).Accepted);
        Assert.True((await stream.SendAsync(Report("b", 1))).Accepted);

        var third = await stream.SendAsync(Report("c", 1));
        Assert.False(third.Accepted);
        Assert.StartsWith("service ", third.Error, StringComparison.Ordinal);
        Assert.Contains("Robinhood:Limits:MaxServicesPerStream", third.Error, StringComparison.Ordinal);
        Assert.True((await stream.SendAsync(Report("a", 2))).Accepted);

        using var other = new RawReportStream(controller);
        Assert.True((await other.SendAsync(Report("c", 1))).Accepted);
    }

    [Fact]
    public async Task Report_ClientResetsTheStream_ClosedWithoutAnErrorInTheLog()
    {
        var logs = new CapturedLogs();
        await using var controller = await RunningController.StartAsync(new FakeTimeProvider(), logs,
            "--Logging:LogLevel:Robinhood.Controller.Ingest.LoadReporterService=Debug");
        using (var stream = new ReportStream(controller.Reporter))
        {
            Assert.True((await stream.SendAsync(new LoadReport { Service = "a", Endpoint = "10.0.0.1:80", CpuUtilization = 0.3, Sequence = 1 })).Accepted);
        }

        // Disposed mid-stream: the client resets it (RST_STREAM), as an agent that goes away does.
        await Eventually.TrueAsync(() => logs.Messages.Any(m => m.StartsWith("Report stream closed by ", StringComparison.Ordinal)), TimeSpan.FromSeconds(20));
        Assert.DoesNotContain(logs.Messages, m => m.Contains("Error when executing service method", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Report_SilentPastIdleTimeout_StreamEndsDeadlineExceeded()
    {
        var time = new FakeTimeProvider();
        await using var controller = await RunningController.StartAsync(time, "--Robinhood:Limits:ReportStreamIdleTimeout=00:00:05");
        using var call = controller.Reporter.Report();
        await call.RequestStream.WriteAsync(new LoadReport { Service = "a", Endpoint = "10.0.0.1:80", CpuUtilization = 0.3, Sequence = 1 });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.True(call.ResponseStream.Current.Accepted);

        time.Advance(TimeSpan.FromSeconds(4));
        await call.RequestStream.WriteAsync(new LoadReport { Service = "a", Endpoint = "10.0.0.1:80", CpuUtilization = 0.3, Sequence = 2 });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.True(call.ResponseStream.Current.Accepted);

        // The server arms the timer when it starts the next read, which the test cannot see: move on until it ends.
        var ended = call.ResponseStream.MoveNext();
        var e = await Assert.ThrowsAsync<RpcException>(() => AdvanceUntilAsync(time, ended));
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.Contains("Robinhood:Limits:ReportStreamIdleTimeout", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_MessageThatNeverEnds_StreamEndsDeadlineExceeded()
    {
        var time = new FakeTimeProvider();
        await using var controller = await RunningController.StartAsync(time, "--Robinhood:Limits:ReportStreamIdleTimeout=00:00:05");
        // A gRPC frame announcing 1 MB, of which only 100 bytes ever come.
        var frame = new byte[5 + 100];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), 1_000_000);
        using var body = new HeldContent(frame);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{controller.GrpcAddress}/robinhood.v1.LoadReporter/Report")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = body,
        };
        request.Content.Headers.TryAddWithoutValidation("content-type", "application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await AdvanceUntilAsync(time, http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token));
        // A trailers-only response: the status is in the headers.
        Assert.Equal("4", Assert.Single(response.Headers.GetValues("grpc-status")));
    }

    [Fact]
    public async Task Kestrel_Defaults_Http2KeepAlivePingDelayAndTimeoutSet()
    {
        await using var controller = await RunningController.StartAsync(new FakeTimeProvider());
        var kestrel = controller.App.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value;
        Assert.Equal(ControllerHost.KeepAlivePingDelay, kestrel.Limits.Http2.KeepAlivePingDelay);
        Assert.Equal(ControllerHost.KeepAlivePingTimeout, kestrel.Limits.Http2.KeepAlivePingTimeout);
    }

    /// <summary>Moves the fake clock on a second at a time (real 50 ms apart) until <paramref name="task"/> completes, under a real deadline.</summary>
    private static async Task<T> AdvanceUntilAsync<T>(FakeTimeProvider time, Task<T> task)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!task.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "the stream did not end before the deadline");
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(task, Task.Delay(50));
        }

        return await task;
    }

    private static byte[] Report(string service, ulong sequence) =>
        new LoadReport { Service = service, Endpoint = "10.0.0.1:80", CpuUtilization = 0.3, Sequence = sequence }.ToByteArray();

    /// <summary>A request body that sends its bytes and then holds the stream open until disposed.</summary>
    private sealed class HeldContent(byte[] bytes) : HttpContent
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(bytes);
            await stream.FlushAsync();
            await _released.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            _released.TrySetResult();
            base.Dispose(disposing);
        }
    }
}
