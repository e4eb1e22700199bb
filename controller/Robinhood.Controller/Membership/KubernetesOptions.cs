using System.ComponentModel.DataAnnotations;

namespace Robinhood.Controller.Membership;

/// <summary>
/// <c>Robinhood:Kubernetes</c>: membership from EndpointSlices and leadership by a Lease. Disabled by
/// default: endpoints then join their service by reporting (self-registration) and this process leads.
/// </summary>
public sealed class KubernetesOptions : IValidatableObject
{
    public const string Section = "Robinhood:Kubernetes";

    private const string ServiceAccountNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

    public bool Enabled { get; set; }

    /// <summary>Namespace of the EndpointSlices and the Lease; default: this pod's namespace, else "default".</summary>
    public string Namespace { get; set; } = File.Exists(ServiceAccountNamespace) ? File.ReadAllText(ServiceAccountNamespace).Trim() : "default";

    /// <summary>
    /// Kubernetes Services whose EndpointSlices make up membership (label kubernetes.io/service-name): <c>name</c>
    /// in <see cref="Namespace"/>, or <c>namespace/name</c>. The entry as written is the Robinhood service name.
    /// </summary>
    public IList<string> Services { get; } = [];

    /// <summary>API server URL; default: the in-cluster configuration, else the kubeconfig file.</summary>
    public string? Host { get; set; }

    /// <summary>Longest wait between watch retries after errors (jittered exponential backoff from 1 s).</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Namespace))
        {
            yield return new($"{Section}:Namespace must not be empty");
        }

        if (Host is { Length: > 0 } host && !Uri.TryCreate(host, UriKind.Absolute, out _))
        {
            yield return new($"{Section}:Host must be an absolute URL like https://10.96.0.1 (got \"{host}\")");
        }

        for (var i = 0; i < Services.Count; i++)
        {
            if (!KubernetesService.TryParse(Services[i], Namespace, out _))
            {
                yield return new($"{Section}:Services:{i} must be a Kubernetes Service as name or namespace/name, each a DNS label (got \"{Services[i]}\")");
            }
        }

        if (MaxBackoff < TimeSpan.FromSeconds(1))
        {
            yield return new($"{Section}:MaxBackoff must be at least 00:00:01 (got {MaxBackoff})");
        }
    }
}
