using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Controller.Control;
using Robinhood.Controller.Hosting;
using Robinhood.Controller.Publish;
using Robinhood.Tests;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Hosting;

/// <summary>The real controller host on loopback Kestrel (gRPC over HTTP/2 cleartext), optionally on a fake clock.</summary>
public sealed class RunningController : IAsyncDisposable
{
    private RunningController(WebApplication app, int grpcPort, int httpPort)
    {
        App = app;
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        GrpcAddress = $"http://127.0.0.1:{grpcPort}";
    }

    public WebApplication App { get; }

    public GrpcChannel Channel { get; }

    public HttpClient Http { get; }

    public string GrpcAddress { get; }

    public LoadReporter.LoadReporterClient Reporter => new(CallDeadline.On(Channel));

    public WeightDiscovery.WeightDiscoveryClient Discovery => new(CallDeadline.On(Channel));

    public ControlLoop Loop => App.Services.GetRequiredService<ControlLoop>();

    public SnapshotCache Snapshots => App.Services.GetRequiredService<SnapshotCache>();

    public static Task<RunningController> StartAsync(TimeProvider? time = null, params string[] args) => StartAsync(time, logs: null, args);

    /// <summary>As <see cref="StartAsync(TimeProvider?, string[])"/>, with the host's log lines also written to <paramref name="logs"/>.</summary>
    public static async Task<RunningController> StartAsync(TimeProvider? time, ILoggerProvider? logs, params string[] args)
    {
        var grpcPort = FreePort();
        var httpPort = FreePort();
        string[] all =
        [
            $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{grpcPort}",
            $"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{httpPort}",
            "--Robinhood:Control:StartupGrace=00:00:00",
            "--Logging:LogLevel:Default=Warning",
            .. args,
        ];
        var app = ControllerHost.Build(all, builder =>
        {
            if (time is not null)
            {
                builder.Services.Replace(ServiceDescriptor.Singleton(time));
            }

            if (logs is not null)
            {
                builder.Logging.AddProvider(logs);
            }
        });
        await app.StartAsync();
        return new RunningController(app, grpcPort, httpPort);
    }

    /// <summary>Advances the fake clock by one interval and waits until the loop has ticked on it.</summary>
    public async Task TickAsync(FakeTimeProvider time, TimeSpan interval)
    {
        var next = Loop.NextTickAsync();
        time.Advance(interval);
        await next.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One report stream, sending a report and reading its ack in lock step.</summary>
public sealed class ReportStream : IDisposable
{
    private readonly AsyncDuplexStreamingCall<LoadReport, ReportAck> _call;

    public ReportStream(LoadReporter.LoadReporterClient client) => _call = client.Report();

    public async Task<ReportAck> SendAsync(LoadReport report)
    {
        await _call.RequestStream.WriteAsync(report);
        Assert.True(await _call.ResponseStream.MoveNext(CancellationToken.None), "the stream closed instead of acking");
        return _call.ResponseStream.Current;
    }

    public void Dispose() => _call.Dispose();
}
