using Prometheus;
using Robinhood.Agent;

// Sidecar (this endpoint's load) or node mode (every labelled pod on the node, Robinhood:Agent:Mode=Node); /healthz and /metrics on Kestrel:Endpoints:Http:Url (appsettings.json).
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddRobinhoodAgent(builder.Configuration);
builder.Services.AddHealthChecks();

var app = builder.Build();
app.MapHealthChecks("/healthz");
app.MapMetrics();
await app.RunAsync();
