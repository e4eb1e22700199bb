using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Robinhood.Agent.Measurement;
using Robinhood.Controller.Hosting;
using Robinhood.V1;

namespace Robinhood.Client.Tests.Support;

/// <summary>
/// A real controller and real backends, each with its own agent host reporting the backend's load, so a backend can
/// be killed while its agent goes on reporting (idle: the loop would raise its weight).
/// </summary>
public sealed class Fleet : IAsyncDisposable
{
    private readonly WebApplication _controller;

    private Fleet(WebApplication controller, Uri grpc, List<FleetBackend> backends)
    {
        _controller = controller;
        ControllerGrpc = grpc;
        Backends = backends;
    }

    public Uri ControllerGrpc { get; }

    /// <summary>The controller's Http endpoint (dashboard, admin API): the one of its two that is not gRPC.</summary>
    public Uri ControllerHttp => _controller.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
        .Select(a => new Uri(a)).Single(a => a != ControllerGrpc);

    public IReadOnlyList<FleetBackend> Backends { get; }

    /// <param name="controllerArgs">More command-line settings for the controller.</param>
    public static async Task<Fleet> StartAsync(string service, bool grpc, int count = 4, params string[] controllerArgs)
    {
        var (controller, address) = await StartControllerAsync(controllerArgs);
        var backends = new List<FleetBackend>();
        for (var i = 0; i < count; i++)
        {
            backends.Add(await FleetBackend.StartAsync(service, $"b{i}", grpc, address));
        }

        return new Fleet(controller, address, backends);
    }

    /// <summary>The controller host on loopback with a fast loop (250 ms ticks, 1 s warm-up), and its gRPC address.</summary>
    public static async Task<(WebApplication Controller, Uri Grpc)> StartControllerAsync(params string[] more)
    {
        var controller = ControllerHost.Build(
        [
            "--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:0",
            "--Kestrel:Endpoints:Grpc:Protocols=Http2",
            "--Kestrel:Endpoints:Http:Url=http://127.0.0.1:0",
            "--Kestrel:Endpoints:Http:Protocols=Http1",
            "--Robinhood:Control:Interval=00:00:00.250",
            "--Robinhood:Control:WarmUp=00:00:01",
            "--Logging:LogLevel:Default=Warning",
            .. more,
        ]);
        await controller.StartAsync();
        return (controller, await ProxyAddresses.Http2OnlyAsync(controller));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in Backends)
        {
            await backend.DisposeAsync();
        }

        await _controller.DisposeAsync();
    }
}

/// <summary>One backend (HTTP or gRPC, on a fixed port) and the agent host that reports it.</summary>
public sealed class FleetBackend : ILoadSource, IAsyncDisposable
{
    /// <summary>Requests per second at which the backend counts as fully used.</summary>
    private const double Capacity = 400;

    private readonly string _service;
    private readonly bool _grpc;
    private readonly RecentRate _rate = new();
    private IHost _agent = null!;
    private Loopback? _server;
    private int _served;

    private FleetBackend(string service, string name, bool grpc, int port)
    {
        _service = service;
        Name = name;
        _grpc = grpc;
        Port = port;
    }

    public string Name { get; }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public int Served => Volatile.Read(ref _served);

    public static async Task<FleetBackend> StartAsync(string service, string name, bool grpc, Uri controller)
    {
        var backend = new FleetBackend(service, name, grpc, RecentRate.FreePort());
        await backend.RestartAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Robinhood:Controller"] = controller.ToString(),
            ["Robinhood:Agent:Service"] = service,
            ["Robinhood:Agent:Endpoint"] = backend.Endpoint,
            ["Robinhood:Agent:ReportInterval"] = "00:00:00.250",
            ["Robinhood:Agent:ReconnectInitialDelay"] = "00:00:00.100",
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ILoadSource>(backend);
        builder.Services.AddRobinhoodAgent(builder.Configuration);
        backend._agent = builder.Build();
        await backend._agent.StartAsync();
        return backend;
    }

    /// <summary>Kills the backend's server; its agent goes on reporting it.</summary>
    public async Task KillAsync()
    {
        var server = _server;
        _server = null;
        if (server is not null)
        {
            await server.KillAsync();
        }
    }

    /// <summary>Starts the backend's server again, on the same port.</summary>
    public async Task RestartAsync()
    {
        void Served()
        {
            Interlocked.Increment(ref _served);
            _rate.Record();
        }

        _server = _grpc
            ? await Backend.StartGrpcAsync(Name, Port, Served)
            : await Backend.StartHttpAsync(Name, Port, Served);
    }

    /// <summary>Utilization = requests served in the last second / capacity: a dead backend looks idle.</summary>
    public ValueTask<IReadOnlyList<LoadReport>> MeasureAsync(CancellationToken cancellationToken)
    {
        var rate = _rate.PerSecond();
        IReadOnlyList<LoadReport> reports =
        [
            new LoadReport { Service = _service, Endpoint = Endpoint, CpuUtilization = Math.Min(1, rate / Capacity), RequestsPerSecond = rate },
        ];
        return ValueTask.FromResult(reports);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        await _agent.StopAsync();
        _agent.Dispose();
    }
}
