using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Robinhood.Control;
using Robinhood.Control.Persistence;
using Robinhood.Control.Rollout;
using Robinhood.Controller.Control;
using Robinhood.Controller.Hosting;
using Robinhood.Controller.Leadership;

namespace Robinhood.Controller.Admin;

/// <summary>
/// The admin API on the Http endpoint: a service's rollout mode (Active, Shadow, Blend with a fraction) and
/// per-endpoint overrides (drain, pin, release), live, kept with the controller state (Redis). Every call needs
/// <c>Authorization: Bearer &lt;Robinhood:Admin:Token&gt;</c>; only the replica that controls the service (leads its
/// shard) answers: another refuses with 409, naming that leader in the message and in the <c>Robinhood-Leader</c> header.
/// </summary>
public static partial class AdminEndpoints
{
    /// <summary>Largest pinned weight: 100× the mean weight, the largest weight bound the options allow.</summary>
    public const uint MaxPinnedWeight = 100_000;

    /// <summary>Header of a refusal by a replica that does not control the service: its leader's advertised gRPC address.</summary>
    public const string OwnerHeader = "Robinhood-Leader";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public static void MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin/services/{service}").AddEndpointFilter(Authorize);
        admin.MapGet("", (string service, Fleet fleet) => fleet.Capture(service) is { } state ? Results.Json(Show(state), Json) : HttpProblems.UnknownService(service));
        admin.MapPut("/rollout", (string service, RolloutRequest? body, Fleet fleet, ILoggerFactory logs) =>
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

            return Change(service, fleet, () => fleet.SetRollout(service, rollout), logs, $"rollout {mode} {rollout.Fraction}");
        });
        admin.MapPut("/endpoints/{endpoint}/drain", (string service, string endpoint, Fleet fleet, ILoggerFactory logs) =>
            Change(service, endpoint, fleet, c => c.Drain(endpoint), logs, "drain"));
        admin.MapPut("/endpoints/{endpoint}/pin", (string service, string endpoint, PinRequest? body, Fleet fleet, ILoggerFactory logs) =>
            body?.Weight is not { } weight || weight is 0 or > MaxPinnedWeight
                ? Refuse($"weight is required: an integer in [1, {MaxPinnedWeight}] on the mean-1000 scale (drain for 0)")
                : Change(service, endpoint, fleet, c => c.Pin(endpoint, weight), logs, $"pin {weight}"));
        admin.MapDelete("/endpoints/{endpoint}/override", (string service, string endpoint, Fleet fleet, ILoggerFactory logs) =>
            Change(service, endpoint, fleet, c => c.Release(endpoint), logs, "release"));
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

        // Only the owner's state of a service ticks and is stored; another replica's would be overwritten.
        var ownership = http.RequestServices.GetRequiredService<Ownership>();
        var service = http.Request.RouteValues["service"] as string ?? "";
        if (!ownership.Owns(service))
        {
            var owner = ownership.OwnerAddress(ownership.Map.Of(service));
            if (owner is not null)
            {
                http.Response.Headers[OwnerHeader] = owner;
            }

            return Results.Problem(
                owner is null
                    ? $"this replica does not control service '{HttpProblems.Cut(service)}' and the leader of its shard is not known yet (it is read from Redis); retry on the leading replica"
                    : $"this replica does not control service '{HttpProblems.Cut(service)}'; the leader of its shard is {owner} (its advertised gRPC address): send admin calls to that replica's Http endpoint",
                statusCode: StatusCodes.Status409Conflict);
        }

        return await next(context).ConfigureAwait(false);
    }

    private static IResult Change(string service, string endpoint, Fleet fleet, Func<ServiceController, bool> change, ILoggerFactory logs, string what)
    {
        var known = true;
        var result = Change(service, fleet, () => fleet.Override(service, c => known = change(c)), logs, $"{what} {endpoint}");
        return known ? result : Results.Problem($"endpoint '{HttpProblems.Cut(endpoint)}' is not a member of service '{HttpProblems.Cut(service)}'", statusCode: StatusCodes.Status404NotFound);
    }

    private static IResult Change(string service, Fleet fleet, Func<bool> change, ILoggerFactory logs, string what)
    {
        if (!change())
        {
            return HttpProblems.UnknownService(service);
        }

        LogChanged(logs.CreateLogger(typeof(AdminEndpoints)), service, what);
        return fleet.Capture(service) is { } state ? Results.Json(Show(state), Json) : HttpProblems.UnknownService(service);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin: {Service} {Change}")]
    private static partial void LogChanged(ILogger logger, string service, string change);
}
