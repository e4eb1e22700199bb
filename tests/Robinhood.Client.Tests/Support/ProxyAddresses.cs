using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Robinhood.Proxy;

namespace Robinhood.Client.Tests.Support;

/// <summary>The three endpoints of a started Robinhood.Proxy bound to port 0, told apart by how they answer.</summary>
/// <param name="Traffic">Cleartext HTTP/1.1 proxied traffic (its /healthz is an upstream's).</param>
/// <param name="Grpc">Cleartext HTTP/2 proxied traffic (a plain GET fails).</param>
/// <param name="Management">The proxy's own /healthz ("ok") and /metrics.</param>
public sealed record ProxyAddresses(Uri Traffic, Uri Grpc, Uri Management)
{
    /// <summary>Robinhood.Proxy on loopback port 0 (traffic, gRPC, management) sending unrouted requests to <paramref name="defaultService"/>.</summary>
    public static WebApplication Build(Uri controller, string defaultService, params string[] more) => ProxyApp.Build(
    [
        $"--Robinhood:Controller={controller}",
        $"--Robinhood:Proxy:DefaultService={defaultService}",
        "--Kestrel:Endpoints:Http:Url=http://127.0.0.1:0",
        "--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:0",
        "--Kestrel:Endpoints:Grpc:Protocols=Http2",
        "--Kestrel:Endpoints:Management:Url=http://127.0.0.1:0",
        "--Logging:LogLevel:Default=Warning",
        .. more,
    ]);

    public static async Task<ProxyAddresses> OfAsync(WebApplication proxy)
    {
        var bodies = await HealthzBodiesAsync(proxy);
        return new ProxyAddresses(
            bodies.Single(b => b.Value is not null && b.Value != "ok\n").Key,
            bodies.Single(b => b.Value is null).Key,
            bodies.Single(b => b.Value == "ok\n").Key);
    }

    /// <summary>The one endpoint of a host (the controller's gRPC one) that cannot answer a plain HTTP/1.1 GET.</summary>
    public static async Task<Uri> Http2OnlyAsync(WebApplication host) =>
        (await HealthzBodiesAsync(host)).Single(b => b.Value is null).Key;

    /// <summary>Each endpoint's /healthz body over HTTP/1.1; null for the HTTP/2-only one.</summary>
    private static async Task<Dictionary<Uri, string?>> HealthzBodiesAsync(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var bodies = new Dictionary<Uri, string?>();
        foreach (var address in addresses)
        {
            if (await SpeaksHttp2Async(address))
            {
                bodies[address] = null;
                continue;
            }

            using var response = await http.GetAsync(new Uri(address, "/healthz"));
            bodies[address] = await response.Content.ReadAsStringAsync();
        }

        return bodies;
    }

    /// <summary>
    /// Whether the endpoint answers an HTTP/2 connection preface with its SETTINGS frame. Only the connection is
    /// asked, no request sent: a request on the HTTP/2-only endpoint is proxied upstream, where a backend that speaks
    /// HTTP/1.1 only may not finish the HTTP/2 handshake (one such probe waited out its 10 s in a loaded run).
    /// </summary>
    private static async Task<bool> SpeaksHttp2Async(Uri address)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port, timeout.Token);
        var stream = tcp.GetStream();
        // The preface, then an empty SETTINGS frame (length 0, type 4, no flags, stream 0).
        await stream.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\u0004\0\0\0\0\0"u8.ToArray(), timeout.Token);
        var frame = new byte[9];
        try
        {
            await stream.ReadExactlyAsync(frame, timeout.Token);
        }
        catch (IOException)
        {
            return false;
        }

        // An HTTP/1.1 endpoint answers with a GOAWAY (HTTP_1_1_REQUIRED) or an HTTP/1.1 status line.
        return frame[3] == 4;
    }
}
