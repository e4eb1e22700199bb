using System.Net;
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

    /// <summary>Each endpoint's /healthz body over HTTP/1.1; null for the HTTP/2-only one (it answers an HTTP/2 request).</summary>
    private static async Task<Dictionary<Uri, string?>> HealthzBodiesAsync(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var bodies = new Dictionary<Uri, string?>();
        foreach (var address in addresses)
        {
            if (await SpeaksHttp2Async(http, address))
            {
                bodies[address] = null;
                continue;
            }

            using var response = await http.GetAsync(new Uri(address, "/healthz"));
            bodies[address] = await response.Content.ReadAsStringAsync();
        }

        return bodies;
    }

    private static async Task<bool> SpeaksHttp2Async(HttpClient http, Uri address)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(address, "/healthz"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        try
        {
            using var response = await http.SendAsync(request);
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
