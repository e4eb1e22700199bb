using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Robinhood.V1;

namespace Robinhood.Controller.Auth;

/// <summary>Where a read came in: the label of <c>robinhood_controller_reads_refused_total</c>.</summary>
public enum ReadApi
{
    Watch,
    Xds,
    Dashboard,
    Metrics,
}

/// <summary>
/// Checks a read's <c>authorization</c> header against <see cref="ReadOptions"/>: in constant time (SHA-256 of each
/// side, so neither the content nor the length of a token leaks), counting each refusal. The token is never logged.
/// </summary>
public sealed partial class ReadAccess(IOptions<ReadOptions> options, ILogger<ReadAccess> logger)
{
    private readonly byte[][] _accepted = [.. new[] { options.Value.Token, options.Value.PreviousToken }.OfType<string>().Select(Hash)];

    /// <summary>Whether reads need a token at all.</summary>
    public bool Required => _accepted.Length > 0;

    /// <summary>Whether xDS streams need the token (<see cref="ReadOptions.XdsWithoutToken"/> off).</summary>
    public bool RequiredOnXds => Required && !options.Value.XdsWithoutToken;

    /// <summary>Null when the read may go on; otherwise why not, to send back (it names what is needed, never a token).</summary>
    public string? Refuse(string? authorization, ReadApi api, string peer)
    {
        if (!Required || (api == ReadApi.Xds && !RequiredOnXds))
        {
            return null;
        }

        const string bearer = "Bearer ";
        if (authorization is null || !authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) || authorization.Length == bearer.Length)
        {
            return Count(api, "missing", peer, $"this controller requires a read token: send authorization: Bearer <token>, the token of {ReadOptions.Section}:Token");
        }

        var given = Hash(authorization[bearer.Length..].Trim());
        var match = false;
        foreach (var accepted in _accepted)
        {
            // Every accepted token is compared, so the time taken does not say which one matched.
            match |= CryptographicOperations.FixedTimeEquals(given, accepted);
        }

        return match ? null : Count(api, "invalid", peer, $"the bearer token is not this controller's read token ({ReadOptions.Section}:Token)");
    }

    private string Count(ReadApi api, string reason, string peer, string why)
    {
        ControllerMetrics.ReadsRefused.WithLabels(Label(api), reason).Inc();
        LogRefused(Label(api), Refusal.Cut(peer), reason);
        return why;
    }

    private static string Label(ReadApi api) => api switch
    {
        ReadApi.Watch => "watch",
        ReadApi.Xds => "xds",
        ReadApi.Dashboard => "dashboard",
        _ => "metrics",
    };

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    // Debug: a refusal is counted in the metric; a caller knocking without a token must not fill the log.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Read refused ({Api}) from {Peer}: token {Reason}")]
    private partial void LogRefused(string api, string peer, string reason);
}
