using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Robinhood.Agent.Tests;

/// <summary>
/// A real Kestrel server on 127.0.0.1 for tests: port 0 (any free one) unless a port is given, configured only from
/// the configuration passed in.
/// </summary>
internal static class LoopbackServer
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static async Task<WebApplication> StartAsync(
        Action<WebApplicationBuilder> configure,
        Action<WebApplication> pipeline,
        HttpProtocols protocols = HttpProtocols.Http1,
        int port = 0,
        IDictionary<string, string?>? configuration = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();

        // The agent's appsettings.json lands in the test output; its Kestrel endpoint must not apply here.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(configuration ?? new Dictionary<string, string?>());
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(1));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = protocols));
        configure(builder);
        var app = builder.Build();
        pipeline(app);
        await app.StartAsync();
        return app;
    }

    /// <summary>The address the server actually listens on.</summary>
    public static Uri Address(this WebApplication app) => new(app.Urls.Single());
}
