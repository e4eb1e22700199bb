using System.ComponentModel.DataAnnotations;

namespace Robinhood.Controller.Auth;

/// <summary><c>Robinhood:Auth</c>: bearer-token authentication of agents on the Report stream.</summary>
public sealed class AuthOptions : IValidatableObject
{
    public const string Section = "Robinhood:Auth";

    public AuthMode Mode { get; set; } = AuthMode.None;

    /// <summary>StaticToken: the file of <c>token pattern[,pattern...]</c> lines (see controller/README.md).</summary>
    public string? TokenFile { get; set; }

    /// <summary>Kubernetes: the audience a token must be issued for (checked in the TokenReview status).</summary>
    public string Audience { get; set; } = "robinhood";

    /// <summary>How long a token check is trusted: a TokenReview answer is reused, and an open stream's token checked again, after this long.</summary>
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Kubernetes: user names (system:serviceaccount:ns:name) that may report every endpoint, e.g. the controller's own, for forwarding replicas.</summary>
    public IList<string> Peers { get; } = [];

    /// <summary>Kubernetes: user names of node agents (a DaemonSet), which may report every pod on their node.</summary>
    public IList<string> NodeAgents { get; } = [];

    /// <summary>The token a follower presents when it forwards reports to the leader; default: the pod's service-account token when it exists.</summary>
    public string? ForwardTokenFile { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enum.IsDefined(Mode))
        {
            yield return new($"{Section}:Mode must be one of None, StaticToken, Kubernetes");
        }

        if (Mode == AuthMode.StaticToken && string.IsNullOrWhiteSpace(TokenFile))
        {
            yield return new($"{Section}:TokenFile is required when {Section}:Mode is StaticToken");
        }

        if (Mode == AuthMode.StaticToken && TokenFile is { Length: > 0 } file && !File.Exists(file))
        {
            yield return new($"{Section}:TokenFile must name an existing file (got \"{file}\")");
        }

        if (Mode == AuthMode.Kubernetes && string.IsNullOrWhiteSpace(Audience))
        {
            yield return new($"{Section}:Audience must not be empty when {Section}:Mode is Kubernetes");
        }

        if (CacheFor < TimeSpan.Zero || CacheFor > TimeSpan.FromMinutes(10))
        {
            yield return new($"{Section}:CacheFor must be between 00:00:00 and 00:10:00 (got {CacheFor})");
        }
    }
}
