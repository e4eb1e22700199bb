using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Configuration.Memory;
using Prometheus;

namespace Robinhood.Proxy;

/// <summary>Builds the proxy host; <c>Program</c> runs it and tests start it on loopback.</summary>
public static class ProxyApp
{
    /// <summary>The Kestrel endpoint (<c>Kestrel:Endpoints:Management</c>) that serves the proxy's own <c>/healthz</c> and <c>/metrics</c>.</summary>
    public const string ManagementEndpoint = "Management";

    /// <summary>Where the management endpoint listens unless <c>Kestrel:Endpoints:Management:Url</c> says otherwise.</summary>
    public const string DefaultManagementUrl = "http://0.0.0.0:8082";

    private const string ManagementItem = "Robinhood.Proxy.Management";

    /// <summary>Builds the proxy from standard configuration (appsettings.json, environment, command line).</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // appsettings.json beside the binary applies wherever `dotnet <name>.dll` is started from.
            ContentRootPath = AppContext.BaseDirectory,
        });
        // The management endpoint's default sits below every source (appsettings.json, environment, command line).
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = [new($"Kestrel:Endpoints:{ManagementEndpoint}:Url", DefaultManagementUrl)],
        });
        // Connections to the management endpoint are marked, so its paths never hide the same paths of an upstream.
        builder.WebHost.ConfigureKestrel((context, kestrel) => kestrel
            .Configure(context.Configuration.GetSection("Kestrel"))
            .Endpoint(ManagementEndpoint, endpoint => endpoint.ListenOptions.Use(next => connection =>
            {
                connection.Items[ManagementItem] = true;
                return next(connection);
            })));
        builder.Services.AddReverseProxy().AddRobinhood();
        builder.Services.AddSingleton<ClientMetricsExporter>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        var app = builder.Build();
        // Listening before MapReverseProxy loads the routes, which subscribes to their services.
        app.Services.GetRequiredService<ClientMetricsExporter>();
        app.MapWhen(IsManagement, management =>
        {
            management.Map("/healthz", healthz => healthz.Run(context => context.Response.WriteAsync("ok\n")));
            management.UseMetricServer("/metrics");
            management.Run(context =>
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        });
        app.UseHttpMetrics();
        app.MapReverseProxy(proxy =>
        {
            proxy.UseLoadBalancing();
            proxy.UseRobinhood();
        });
        return app;
    }

    private static bool IsManagement(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(ManagementItem) == true;
}
