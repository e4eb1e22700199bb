namespace Robinhood.Controller.Auth;

/// <summary>How agents prove who they are on the Report stream.</summary>
public enum AuthMode
{
    /// <summary>No token; any agent may report any endpoint (one machine, trusted network).</summary>
    None,

    /// <summary>Bearer tokens from <c>Robinhood:Auth:TokenFile</c>, each with the endpoints it may report.</summary>
    StaticToken,

    /// <summary>Kubernetes service-account tokens checked with TokenReview; an agent may report its pod's (or node's) IPs.</summary>
    Kubernetes,
}
