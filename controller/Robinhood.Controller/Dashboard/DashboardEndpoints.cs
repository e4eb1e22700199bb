using System.Text.Json;
using System.Text.Json.Serialization;
using Robinhood.Controller.Hosting;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Publish;
using Robinhood.V1;

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
        app.MapGet("/api/services", (HttpContext http, FleetView view) =>
        {
            // Bounded: at most MaxPage services per answer; the total in X-Total-Count, the next page by offset.
            if (!Page(http.Request.Query["offset"], 0, int.MaxValue, out var offset) || !Page(http.Request.Query["limit"], 1, FleetView.MaxPage, out var limit, FleetView.MaxPage))
            {
                return Results.Problem(
                    $"offset must be an integer 0 or more and limit one in 1..{FleetView.MaxPage} (got offset=\"{Refusal.Cut(http.Request.Query["offset"])}\", limit=\"{Refusal.Cut(http.Request.Query["limit"])}\")",
                    statusCode: StatusCodes.Status400BadRequest);
            }

            var (services, total) = view.Read(offset, limit);
            http.Response.Headers["X-Total-Count"] = total.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(services, Json);
        });
        app.MapGet("/api/services/{service}/endpoints", async (string service, FleetView view, CancellationToken cancellationToken) => await view.DiagnoseAsync(service, cancellationToken) is { } endpoints
            ? Results.Json(endpoints, Json)
            : HttpProblems.UnknownService(service));
        app.MapGet("/api/shards", (Ownership ownership, SnapshotCache cache) => Results.Json(Shards(ownership, cache), Json));
    }

    /// <summary>Services named per shard in <c>/api/shards</c>; the rest are counted, not listed (the answer stays bounded).</summary>
    public const int MaxServicesPerShard = 100;

    /// <summary>Which replica owns each shard, as this replica sees it, its service count and the first of its services.</summary>
    private static ShardsView Shards(Ownership ownership, SnapshotCache cache)
    {
        var services = cache.Services.ToLookup(ownership.Map.Of);
        return new ShardsView(
            ownership.AdvertisedAddress,
            [.. ownership.Map.All.Select(s => new ShardView(
                s,
                ownership.OwnerAddress(s),
                ownership.Owned.ContainsKey(s),
                services[s].Count(),
                [.. services[s].Order(ServiceOrder.Instance).Take(MaxServicesPerShard)]))]);
    }

    /// <summary>A query parameter as an integer in [min, max]; absent gives <paramref name="absent"/>.</summary>
    private static bool Page(Microsoft.Extensions.Primitives.StringValues value, int min, int max, out int parsed, int absent = 0)
    {
        if (value.Count == 0)
        {
            parsed = absent;
            return true;
        }

        return int.TryParse(value.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out parsed)
            && parsed >= min && parsed <= max;
    }

    private static string ReadPage()
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("Robinhood.Controller.Dashboard.dashboard.html")
            ?? throw new InvalidOperationException("dashboard.html is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>The shards as <c>/api/shards</c> shows them: this replica's address and every shard.</summary>
public sealed record ShardsView(string Replica, IReadOnlyList<ShardView> Shards);

/// <summary>
/// One shard: the gRPC address of its owner (null while none is known), whether this replica owns it, how many
/// services it holds and the first <see cref="DashboardEndpoints.MaxServicesPerShard"/> of them in reading order.
/// </summary>
public sealed record ShardView(int Shard, string? Owner, bool Owned, int ServiceCount, IReadOnlyList<string> Services);
