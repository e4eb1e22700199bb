namespace Robinhood.Controller.Auth;

/// <summary>
/// The identity behind one Report stream: what it may report now, and when its token is checked again.
/// A node agent's session holds its node's pod watch (<see cref="NodePods"/>) until the stream ends.
/// </summary>
public sealed class AgentSession : IDisposable
{
    private readonly IDisposable? _lease;

    internal AgentSession(string? token, AgentGrant grant, DateTimeOffset reviewAt, IDisposable? lease)
    {
        Token = token;
        Grant = grant;
        ReviewAt = reviewAt;
        _lease = lease;
    }

    /// <summary>What the agent may report now.</summary>
    public AgentGrant Grant { get; internal set; }

    /// <summary>The bearer token, null without authentication.</summary>
    internal string? Token { get; }

    /// <summary>When the token is next checked again (at the first report from then on).</summary>
    internal DateTimeOffset ReviewAt { get; set; }

    public void Dispose() => _lease?.Dispose();
}
