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
/// <c>Authorization: Bearer &lt;Robinhood:Admin:Token&gt;</c>; only the replica that controls the service (owns its
/// shard) answers, and any other forwards the call to it (<see cref="AdminForwarder"/>). Every answer names the owner's
/// gRPC address in the <c>Robinhood-Leader</c> header.
/// </summary>
public static partial class AdminEndpoints
{
    /// <summary>Largest pinned weight: 100× the mean weight, the largest weight bound the options allow.</summary>
    public const uint MaxPinnedWeight = 100_000;

    /// <summary>Header naming the advertised gRPC address of the replica that controls the service (that answered, or would).</summary>
    public const string OwnerHeader = "Robinhood-Leader";

    /// <summary>The largest request body an admin call may have (its JSON is a few dozen bytes).</summary>
    public const int MaxBodyBytes = 16 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public static void MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin/services/{service}").WithMetadata(AdminForwarder.Route).AddEndpointFilter(Authorize);
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
        var ownership = http.RequestServices.GetRequiredService<Ownership>();
        var service = http.Request.RouteValues["service"] as string ?? "";
        var owns = ownership.Owns(service);
        if (owns)
        {
            // Every answer of the owner names it, refusals too: a caller whose call was forwarded sees who judged it.
            http.Response.Headers[OwnerHeader] = ownership.AdvertisedAddress;
        }

        if (Unauthenticated(http, http.RequestServices.GetRequiredService<IOptions<AdminOptions>>().Value.Token) is { } refusal)
        {
            return refusal;
        }

        // Only the owner's state of a service ticks and is stored; another replica's would be overwritten. A call
        // this replica could forward to the owner has been forwarded (AdminForwarder) before it got here.
        return owns ? await next(context).ConfigureAwait(false) : NotOwner(http, ownership, service);
    }

    /// <summary>
    /// The refusal of a call without the admin token (401), or of every call while none is configured (403); null
    /// when the caller sent it. Checked by every replica a call reaches, the forwarding one too.
    /// </summary>
    internal static IResult? Unauthenticated(HttpContext http, string? token)
    {
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

        return null;
    }

    /// <summary>
    /// A call for a service another replica controls that was not forwarded: 503 while the owner is not known (its
    /// shard changing hands), else 409 naming it (an owner that advertises no Http address, or a call already
    /// forwarded once, which is never forwarded again).
    /// </summary>
    private static IResult NotOwner(HttpContext http, Ownership ownership, string service)
    {
        var shown = HttpProblems.Cut(service);
        var forwarder = http.RequestServices.GetRequiredService<AdminForwarder>();
        var forwarded = http.Request.Headers.ContainsKey(AdminForwarder.ForwardedHeader);
        // An owner with an Http address seen only now (after the forwarder looked) is also "retry": the next call is forwarded.
        if (ownership.Owner(ownership.Map.Of(service)) is not { } owner || ownership.IsSelf(owner) || (!forwarded && owner.HttpAddress is not null))
        {
            forwarder.Count(AdminForwarder.Outcome.NoOwner);
            http.Response.Headers.RetryAfter = forwarder.RetryAfterSeconds;
            return Results.Problem(
                $"this replica does not control service '{shown}' and the owner of its shard is not known yet (the shard is changing hands); retry in {forwarder.RetryAfterSeconds} s",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        http.Response.Headers[OwnerHeader] = owner.GrpcAddress;
        forwarder.Count(forwarded ? AdminForwarder.Outcome.Loop : AdminForwarder.Outcome.NotAdvertised);
        return Results.Problem(
            forwarded
                ? $"this replica does not control service '{shown}' and does not forward a call another replica forwarded; the leader of its shard is {owner.GrpcAddress} (its advertised gRPC address)"
                : $"this replica does not control service '{shown}'; the leader of its shard is {owner.GrpcAddress} (its advertised gRPC address), which advertises no Http address to forward to: send admin calls to that replica's Http endpoint",
            statusCode: StatusCodes.Status409Conflict);
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
