using Prometheus;
using Robinhood.Client.Yarp;

namespace Robinhood.Proxy;

/// <summary>Builds the proxy host; <c>Program</c> runs it and tests start it on loopback.</summary>
public static class ProxyApp
{
    /// <summary>Builds the proxy from standard configuration (appsettings.json, environment, command line).</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // appsettings.json beside the binary applies wherever `dotnet <name>.dll` is started from.
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Services.AddReverseProxy().AddRobinhood();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        var app = builder.Build();
        app.UseHttpMetrics();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapMetrics("/metrics");
        app.MapReverseProxy(proxy =>
        {
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UseRobinhoodEndpointGuard();
            proxy.UsePassiveHealthChecks();
        });
        return app;
    }
}
