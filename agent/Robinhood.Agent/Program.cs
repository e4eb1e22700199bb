using Prometheus;

// Sidecar (this endpoint's load: the application's processes in the pod's shared process namespace) or node mode (every labelled pod on the node, Robinhood:Agent:Mode=Node); /healthz and /metrics on Kestrel:Endpoints:Http:Url (appsettings.json).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json beside the binary applies wherever `dotnet <name>.dll` is started from.
    ContentRootPath = AppContext.BaseDirectory,
});
builder.Services.AddRobinhoodSidecarAgent(builder.Configuration);
builder.Services.AddHealthChecks();

var app = builder.Build();
app.MapHealthChecks("/healthz");
app.MapMetrics();
await app.RunAsync();
