using System.Text.Json;
using System.Text.Json.Serialization;
using Robinhood.Controller.Hosting;

namespace Robinhood.Controller.Dashboard;

/// <summary>The live dashboard page and the JSON it polls, on the controller's Http endpoint.</summary>
public static class DashboardEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        var page = ReadPage();
        app.MapGet("/", () => Results.Redirect("/dashboard"));
        app.MapGet("/dashboard", () => Results.Content(page, "text/html; charset=utf-8"));
        app.MapGet("/api/services", (FleetView view) => Results.Json(view.Read(), Json));
        app.MapGet("/api/services/{service}/endpoints", (string service, FleetView view) => view.Diagnose(service) is { } endpoints
            ? Results.Json(endpoints, Json)
            : HttpProblems.UnknownService(service));
    }

    private static string ReadPage()
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("Robinhood.Controller.Dashboard.dashboard.html")
            ?? throw new InvalidOperationException("dashboard.html is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
