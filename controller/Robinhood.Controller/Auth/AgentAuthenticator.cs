using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Robinhood.Controller.Auth;

/// <summary>
/// Authenticates the agent behind a Report stream from its <c>authorization: Bearer &lt;token&gt;</c>
/// header. No, unknown, invalid or expired token: the stream ends with UNAUTHENTICATED.
/// </summary>
public sealed partial class AgentAuthenticator(IOptions<AuthOptions> options, IServiceProvider services, ILogger<AgentAuthenticator> logger)
{
    private readonly Lazy<StaticTokens?> _static = new(() =>
        options.Value is { Mode: AuthMode.StaticToken, TokenFile: { } file } ? StaticTokens.Load(file) : null);

    /// <summary>Loads what the mode needs at start, so a bad token file fails start rather than the first stream.</summary>
    public void Prepare() => _ = _static.Value;

    public async Task<AgentGrant> AuthenticateAsync(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var mode = options.Value.Mode;
        if (mode == AuthMode.None)
        {
            return AgentGrant.Anyone;
        }

        var header = context.RequestHeaders.GetValue("authorization");
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            throw Refuse(context, "a bearer token is required (authorization: Bearer <token>)");
        }

        var token = header[7..].Trim();
        if (mode == AuthMode.StaticToken)
        {
            return _static.Value?.Find(token) ?? throw Refuse(context, "the token is not valid");
        }

        (AgentGrant? Grant, string? Refusal) review;
        try
        {
            review = await services.GetRequiredService<TokenReviewer>().ReviewAsync(token, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            LogReviewFailed(e);
            throw new RpcException(new Status(StatusCode.Unavailable, "the token could not be reviewed now; retry"));
        }

        return review.Grant ?? throw Refuse(context, review.Refusal ?? "the token is not valid");
    }

    private RpcException Refuse(ServerCallContext context, string why)
    {
        ControllerMetrics.Reports.WithLabels("refused", "unauthenticated").Inc();
        LogUnauthenticated(context.Peer, why);
        return new RpcException(new Status(StatusCode.Unauthenticated, why));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Report stream from {Peer} refused: {Why}")]
    private partial void LogUnauthenticated(string peer, string why);

    [LoggerMessage(Level = LogLevel.Error, Message = "TokenReview failed")]
    private partial void LogReviewFailed(Exception exception);
}
