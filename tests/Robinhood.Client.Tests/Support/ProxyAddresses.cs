using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Robinhood.Client.Tests.Support;

/// <summary>The three endpoints of a started Robinhood.Proxy bound to port 0, told apart by how they answer.</summary>
/// <param name="Traffic">Cleartext HTTP/1.1 proxied traffic (its /healthz is an upstream's).</param>
/// <param name="Grpc">Cleartext HTTP/2 proxied traffic (a plain GET fails).</param>
/// <param name="Management">The proxy's own /healthz ("ok") and /metrics.</param>
public sealed record ProxyAddresses(Uri Traffic, Uri Grpc, Uri Management)
{
    public static async Task<ProxyAddresses> OfAsync(WebApplication proxy)
    {
        var addresses = proxy.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var bodies = new Dictionary<Uri, string?>();
        foreach (var address in addresses)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(address, "/healthz"));
                bodies[address] = response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : null;
            }
            catch (HttpRequestException)
            {
                bodies[address] = null;
            }
        }

        return new ProxyAddresses(
            bodies.Single(b => b.Value is not null && b.Value != "ok\n").Key,
            bodies.Single(b => b.Value is null).Key,
            bodies.Single(b => b.Value == "ok\n").Key);
    }
}
