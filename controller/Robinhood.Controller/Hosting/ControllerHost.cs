using Grpc.AspNetCore.Server.Model;
using Microsoft.Extensions.Options;
using Prometheus;
using Robinhood.Controller.Admin;
using Robinhood.Controller.Auth;
using Robinhood.Controller.Control;
using Robinhood.Controller.Dashboard;
using Robinhood.Controller.Demo;
using Robinhood.Controller.Ingest;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Membership;
using Robinhood.Controller.Persistence;
using Robinhood.Controller.Publish;
using Robinhood.V1;
using Robinhood.Controller.Xds;

namespace Robinhood.Controller.Hosting;

/// <summary>The controller's wiring, shared by Program and the tests that host it on loopback.</summary>
public static class ControllerHost
{
    /// <summary>Default HTTP/2 keepalive: a ping after this long without frames from the peer...</summary>
    public static readonly TimeSpan KeepAlivePingDelay = TimeSpan.FromSeconds(30);

    /// <summary>...and the connection closed when the ping is not answered within this long.</summary>
    public static readonly TimeSpan KeepAlivePingTimeout = TimeSpan.FromSeconds(20);

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // appsettings.json beside the binary applies wherever `dotnet <name>.dll` is started from.
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (builder.Configuration["Robinhood:ConfigFile"] is { Length: > 0 } file)
        {
            // Gains from a mounted ConfigMap, reloaded live; command-line overrides still win.
            builder.Configuration.AddJsonFile(file, optional: false, reloadOnChange: true);
            builder.Configuration.AddCommandLine(args);
        }

        builder.Services.AddGrpc(o =>
        {
            // Set, not left to the defaults (4 MB in): a snapshot of a service at its endpoint limit must reach every client.
            o.MaxReceiveMessageSize = MessageLimits.MaxRequestBytes;
            o.MaxSendMessageSize = MessageLimits.MaxSnapshotBytes;
        });
        builder.WebHost.ConfigureKestrel(o =>
        {
            // A connection whose peer stopped answering is closed rather than held (agents, watchers and xDS
            // clients reconnect); Kestrel's own settings under Kestrel:Limits:Http2 win when given.
            if (builder.Configuration["Kestrel:Limits:Http2:KeepAlivePingDelay"] is null)
            {
                o.Limits.Http2.KeepAlivePingDelay = KeepAlivePingDelay;
            }

            if (builder.Configuration["Kestrel:Limits:Http2:KeepAlivePingTimeout"] is null)
            {
                o.Limits.Http2.KeepAlivePingTimeout = KeepAlivePingTimeout;
            }
        });
        builder.Services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IServiceMethodProvider<LoadReporterService>, LoadReporterMethods>();
        builder.Services.AddSingleton<IServiceMethodProvider<WeightDiscoveryService>, WeightDiscoveryMethods>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ControlSettingsSource>();
        builder.Services.AddSingleton<Fleet>();
        builder.Services.AddSingleton(sp => new SnapshotCache(sp.GetRequiredService<IOptions<LimitsOptions>>().Value.MaxWatchSubscriptions));
        builder.Services.AddSingleton<SnapshotPublisher>();
        builder.Services.AddSingleton<ReleasedWatchMemory>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReleasedWatchMemory>());
        builder.Services.AddShardWork<TickMetrics>();
        builder.Services.AddSingleton<FleetView>();
        builder.Services.AddShardWork<TakeoverGate>();
        builder.Services.AddSingleton<ControlLoop>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ControlLoop>());
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        var kubernetes = builder.Configuration.GetValue<bool>($"{KubernetesOptions.Section}:Enabled");
        builder.Services.AddKubernetesMembership(kubernetes);
        builder.Services.AddLeadership(elected: kubernetes);
        builder.Services.AddRedisState();
        builder.Services.AddAgentAuthentication();
        builder.Services.AddXds(builder.Configuration);
        builder.Services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<AdminForwarder>();
        builder.Services.AddHttpClient(AdminForwarder.ClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            // Replica to replica, inside the cluster: never through an HTTP_PROXY, never following a redirect.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });
        builder.Services.AddOptions<DemoOptions>().BindConfiguration(DemoOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (builder.Configuration.GetValue<int>($"{DemoOptions.Section}:Endpoints") > 0)
        {
            builder.Services.AddHostedService<DemoAgents>();
        }

        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseReadAccess();
        app.Use(app.Services.GetRequiredService<AdminForwarder>().InvokeAsync);
        app.MapGrpcService<LoadReporterService>();
        app.MapGrpcService<WeightDiscoveryService>();
        app.MapXds();
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", (ControlLoop loop) => loop.Ticks > 0
            ? Results.Text("ready")
            : Results.Text("waiting for the first control tick", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapMetrics();
        app.MapDashboard();
        app.MapAdmin();

        // Fail at start, not at the first tick, when the control settings are invalid.
        _ = app.Services.GetRequiredService<ControlSettingsSource>();
        app.Services.GetRequiredService<AgentAuthenticator>().Prepare();
        return app;
    }
}
