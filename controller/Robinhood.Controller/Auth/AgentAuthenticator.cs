using Grpc.Core;
using Microsoft.Extensions.Options;
using Robinhood.V1;

namespace Robinhood.Controller.Auth;

/// <summary>
/// Authenticates the agent behind a Report stream from its <c>authorization: Bearer &lt;token&gt;</c>
/// header, and checks the token again every <c>Robinhood:Auth:CacheFor</c> while the stream is open. No,
/// unknown, invalid, expired or revoked token: the stream ends with UNAUTHENTICATED.
/// </summary>
public sealed partial class AgentAuthenticator(
    IOptions<AuthOptions> options,
    IServiceProvider services,
    TimeProvider time,
    ILogger<AgentAuthenticator> logger)
{
    /// <summary>How long a node agent's first report waits for the first list of its node's pods.</summary>
    private static readonly TimeSpan FirstPodList = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private StaticTokens? _static;
    private DateTime _staticWritten;

    /// <summary>Loads what the mode needs at start, so a bad token file fails start rather than the first stream.</summary>
    public void Prepare()
    {
        if (options.Value.Mode == AuthMode.StaticToken)
        {
            _ = CurrentStaticTokens();
        }
    }

    /// <summary>Authenticates a new stream; throws UNAUTHENTICATED (or UNAVAILABLE when the token cannot be reviewed now).</summary>
    public async Task<AgentSession> OpenAsync(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (options.Value.Mode == AuthMode.None)
        {
            return new AgentSession(null, AgentGrant.Anyone, DateTimeOffset.MaxValue, null);
        }

        var header = context.RequestHeaders.GetValue("authorization");
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            throw Refuse(context, "a bearer token is required (authorization: Bearer <token>)");
        }

        var token = header[7..].Trim();
        var (grant, node) = await IdentifyAsync(token, context).ConfigureAwait(false);
        var reviewAt = time.GetUtcNow() + options.Value.CacheFor;
        if (node is null)
        {
            return new AgentSession(token, grant, reviewAt, null);
        }

        var lease = await services.GetRequiredService<NodePods>().TrackAsync(node, FirstPodList, context.CancellationToken).ConfigureAwait(false);
        return new AgentSession(token, AgentGrant.Live(grant.Identity, lease.Runs), reviewAt, lease);
    }

    /// <summary>
    /// Checks a session's token again once it is due; throws UNAUTHENTICATED when it no longer passes. When the
    /// token cannot be reviewed now (the API server is down) the stream keeps its grant until the next check.
    /// </summary>
    public async ValueTask RecheckAsync(AgentSession session, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(context);
        var now = time.GetUtcNow();
        if (session.Token is not { } token || now < session.ReviewAt)
        {
            return;
        }

        session.ReviewAt = now + options.Value.CacheFor;
        try
        {
            var (grant, node) = await IdentifyAsync(token, context).ConfigureAwait(false);
            if (node is null)
            {
                session.Grant = grant;
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
        {
            // Logged where it failed; a revocation is caught at the next check.
        }
    }

    /// <summary>The grant of a token, and the node of a node agent (whose grant follows its node's pods).</summary>
    private async Task<(AgentGrant Grant, string? Node)> IdentifyAsync(string token, ServerCallContext context)
    {
        if (options.Value.Mode == AuthMode.StaticToken)
        {
            return (CurrentStaticTokens().Find(token) ?? throw Refuse(context, "the token is not valid"), null);
        }

        (ReviewedToken? Reviewed, string? Refusal) review;
        try
        {
            review = await services.GetRequiredService<TokenReviewer>().ReviewAsync(token, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            LogReviewFailed(e);
            throw new RpcException(new Status(StatusCode.Unavailable, "the token could not be reviewed now; retry"));
        }

        return review.Reviewed switch
        {
            null => throw Refuse(context, review.Refusal ?? "the token is not valid"),
            { Peer: true } peer => (AgentGrant.Everything(peer.Identity), null),
            { Node: { } node } agent => (AgentGrant.Hosts(agent.Identity, []), node),
            var pod => (AgentGrant.Hosts(pod.Identity, pod.PodHosts), null),
        };
    }

    /// <summary>The token file as it is now: read again when it changed, so a removed token ends its streams.</summary>
    private StaticTokens CurrentStaticTokens()
    {
        var file = options.Value.TokenFile!;
        lock (_gate)
        {
            var written = File.GetLastWriteTimeUtc(file);
            if (_static is null || written != _staticWritten)
            {
                try
                {
                    _static = StaticTokens.Load(file);
                    _staticWritten = written;
                }
                catch (Exception e) when (_static is not null && e is IOException or FormatException or UnauthorizedAccessException)
                {
                    LogTokenFileRefused(e, file);
                    _staticWritten = written;
                }
            }

            return _static;
        }
    }

    private RpcException Refuse(ServerCallContext context, string why)
    {
        ControllerMetrics.Reports.WithLabels("refused", RefusalReason.Unauthenticated.Label()).Inc();
        LogUnauthenticated(Refusal.Cut(context.Peer), why);
        return new RpcException(new Status(StatusCode.Unauthenticated, why));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Report stream from {Peer} refused: {Why}")]
    private partial void LogUnauthenticated(string peer, string why);

    [LoggerMessage(Level = LogLevel.Error, Message = "TokenReview failed")]
    private partial void LogReviewFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Token file {File} changed but cannot be read; the last good one stays in force")]
    private partial void LogTokenFileRefused(Exception exception, string file);
}
