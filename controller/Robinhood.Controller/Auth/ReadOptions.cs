using System.ComponentModel.DataAnnotations;
using Robinhood.V1;

namespace Robinhood.Controller.Auth;

/// <summary>
/// <c>Robinhood:Read</c>: the bearer token Watch, xDS, the dashboard API (<c>/api/*</c>) and <c>/metrics</c> require.
/// Unset, reads are open (the quickstart on loopback); <c>/healthz</c>, <c>/readyz</c> and the dashboard page always are.
/// </summary>
public sealed class ReadOptions : IValidatableObject
{
    public const string Section = "Robinhood:Read";

    /// <summary>The read token; set, every read needs <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    public string? Token { get; set; }

    /// <summary>A second token also accepted, for rotation: the old one while clients move to the new <see cref="Token"/>.</summary>
    public string? PreviousToken { get; set; }

    /// <summary>
    /// xDS streams need no token even when <see cref="Token"/> is set: for proxyless gRPC clients whose bootstrap
    /// cannot send one (grpc-js-xds); the gRPC port is then to be fenced by the network (docs/trust.md).
    /// </summary>
    public bool XdsWithoutToken { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (key, value) in new[] { (nameof(Token), Token), (nameof(PreviousToken), PreviousToken) })
        {
            if (value is not null && BearerToken.Check(value) is { } rule)
            {
                yield return new($"{Section}:{key} must be {rule}");
            }
        }

        if (PreviousToken is not null && Token is null)
        {
            yield return new($"{Section}:PreviousToken needs {Section}:Token: it is the old token accepted beside the new one while clients move");
        }
    }
}
