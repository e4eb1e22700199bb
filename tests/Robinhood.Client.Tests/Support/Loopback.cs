using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Robinhood.Client.Tests.Support;

/// <summary>A real Kestrel server on 127.0.0.1, port 0, that counts the connections it accepts.</summary>
public sealed class Loopback : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _connections;

    private Loopback(WebApplication app) => _app = app;

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>"127.0.0.1:port", the form the contract uses for endpoints.</summary>
    public string Endpoint => $"{Address.Host}:{Address.Port}";

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public IServiceProvider Services => _app.Services;

    public static async Task<Loopback> StartAsync(
        HttpProtocols protocols,
        Action<IServiceCollection> services,
        Action<WebApplication> map,
        int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The proxy's appsettings.json lands in this output folder too; its Kestrel endpoint is not ours.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        Loopback? server = null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            listen.Protocols = protocols;
            listen.Use(next => connection =>
            {
                Interlocked.Increment(ref server!._connections);
                return next(connection);
            });
        }));
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        services(builder.Services);
        var app = builder.Build();
        server = new Loopback(app);
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.Address = new Uri(address);
        return server;
    }

    public async Task StopAsync() => await _app.StopAsync();

    /// <summary>Stops the way a killed process does: open connections are aborted, nothing is drained.</summary>
    public async Task KillAsync()
    {
        using var now = new CancellationTokenSource();
        await now.CancelAsync();
        await _app.StopAsync(now.Token);
        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
