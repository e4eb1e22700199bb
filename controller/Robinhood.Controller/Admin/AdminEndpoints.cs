using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Robinhood.Control;
using Robinhood.Control.Persistence;
using Robinhood.Control.Rollout;
using Robinhood.Controller.Control;
using Robinhood.Controller.Leadership;

namespace Robinhood.Controller.Admin;

/// <summary>
/// The admin API on the Http endpoint: a service's rollout mode (Active, Shadow, Blend with a fraction) and
/// per-endpoint overrides (drain, pin, release), live, kept with the controller state (Redis). Every call needs
/// <c>Authorization: Bearer &lt;Robinhood:Admin:Token&gt;</c>; only the leading replica changes anything.
/// </summary>
public static partial class AdminEndpoints
{
    /// <summary>Largest pinned weight: 100× the mean weight, the largest weight bound the options allow.</summary>
    public const uint MaxPinnedWeight = 100_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public static void MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin/services/{service}").AddEndpointFilter(Authorize);
        admin.MapGet("", (string service, Fleet fleet) => fleet.Capture(service) is { } state ? Results.Json(Show(state), Json) : UnknownService(service));
        admin.MapPut("/rollout", (string service, RolloutRequest? body, Fleet fleet, Ownership ownership, ILoggerFactory logs) =>
        {
            if (body?.Mode is not { } name || !Enum.TryParse<RolloutMode>(name, ignoreCase: true, out var mode) || !Enum.IsDefined(mode) || int.TryParse(name, out _))
            {
                return Refuse("mode is required: one of Active, Shadow, Blend");
            }

            if (mode == RolloutMode.Blend && body.Fraction is null)
            {
                return Refuse("fraction is required with mode Blend: a number in [0, 1]");
            }

            var rollout = new ServiceRollout(mode, mode == RolloutMode.Blend ? body.Fraction!.Value : 1);
            if (rollout.Validate() is { } rule)
            {
                return Refuse(rule);
            }

            return Change(ownership, service, fleet, () => fleet.SetRollout(service, rollout), logs, $"rollout {mode} {rollout.Fraction}");
        });
        admin.MapPut("/endpoints/{endpoint}/drain", (string service, string endpoint, Fleet fleet, Ownership ownership, ILoggerFactory logs) =>
            Change(ownership, service, endpoint, fleet, c => c.Drain(endpoint), logs, "drain"));
        admin.MapPut("/endpoints/{endpoint}/pin", (string service, string endpoint, PinRequest? body, Fleet fleet, Ownership ownership, ILoggerFactory logs) =>
            body?.Weight is not { } weight || weight is 0 or > MaxPinnedWeight
                ? Refuse($"weight is required: an integer in [1, {MaxPinnedWeight}] on the mean-1000 scale (drain for 0)")
                : Change(ownership, service, endpoint, fleet, c => c.Pin(endpoint, weight), logs, $"pin {weight}"));
        admin.MapDelete("/endpoints/{endpoint}/override", (string service, string endpoint, Fleet fleet, Ownership ownership, ILoggerFactory logs) =>
            Change(ownership, service, endpoint, fleet, c => c.Release(endpoint), logs, "release"));
    }

    private static async ValueTask<object?> Authorize(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var token = http.RequestServices.GetRequiredService<IOptions<AdminOptions>>().Value.Token;
        if (string.IsNullOrEmpty(token))
        {
            return Results.Problem("the admin API is off: set Robinhood:Admin:Token", statusCode: StatusCodes.Status403Forbidden);
        }

        var header = http.Request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        var given = header.StartsWith(bearer, StringComparison.Ordinal) ? header[bearer.Length..] : "";
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token)))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Problem("Authorization: Bearer <Robinhood:Admin:Token> is required", statusCode: StatusCodes.Status401Unauthorized);
        }

        return await next(context).ConfigureAwait(false);
    }

    private static IResult Change(Ownership ownership, string service, string endpoint, Fleet fleet, Func<ServiceController, bool> change, ILoggerFactory logs, string what)
    {
        var known = true;
        var result = Change(ownership, service, fleet, () => fleet.Override(service, c => known = change(c)), logs, $"{what} {endpoint}");
        return known ? result : Results.Problem($"endpoint '{Cut(endpoint)}' is not a member of service '{Cut(service)}'", statusCode: StatusCodes.Status404NotFound);
    }

    private static IResult Change(Ownership ownership, string service, Fleet fleet, Func<bool> change, ILoggerFactory logs, string what)
    {
        if (!ownership.Owns(service))
        {
            return Results.Problem($"this replica does not control service '{Cut(service)}'; send admin calls to the owner of its shard ({ownership.OwnerAddress(ownership.Map.Of(service)) ?? "unknown"})", statusCode: StatusCodes.Status409Conflict);
        }

        if (!change())
        {
            return UnknownService(service);
        }

        LogChanged(logs.CreateLogger(typeof(AdminEndpoints)), service, what);
        return fleet.Capture(service) is { } state ? Results.Json(Show(state), Json) : UnknownService(service);
    }

    private static AdminService Show(ServiceControllerState state) => new(
        state.Service,
        state.Rollout.Mode,
        state.Rollout.Fraction,
        [.. state.Endpoints.Select(e => new AdminEndpoint(
            e.Endpoint,
            (e.Drained ? EndpointPhase.Draining : e.Phase).ToString().ToUpperInvariant(),
            e.Computed,
            e.Published,
            e.Drained,
            e.PinnedWeight))]);

    private static IResult Refuse(string rule) => Results.Problem(rule, statusCode: StatusCodes.Status400BadRequest);

    private static IResult UnknownService(string service) =>
        Results.Problem($"service '{Cut(service)}' is not known to this controller", statusCode: StatusCodes.Status404NotFound);

    private static string Cut(string value) => value.Length <= 256 ? value : value[..256];

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin: {Service} {Change}")]
    private static partial void LogChanged(ILogger logger, string service, string change);
}
