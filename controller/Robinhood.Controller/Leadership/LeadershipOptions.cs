using System.ComponentModel.DataAnnotations;

namespace Robinhood.Controller.Leadership;

/// <summary>
/// <c>Robinhood:Leadership</c>: the Lease the replicas elect a leader with (used when
/// <c>Robinhood:Kubernetes:Enabled</c>; otherwise this process always leads).
/// </summary>
public sealed class LeadershipOptions : IValidatableObject
{
    public const string Section = "Robinhood:Leadership";

    /// <summary>Name of the coordination.k8s.io Lease, in <c>Robinhood:Kubernetes:Namespace</c>.</summary>
    [Required]
    [RegularExpression("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", ErrorMessage = "Robinhood:Leadership:LeaseName must be a DNS subdomain name")]
    public string LeaseName { get; set; } = "robinhood-controller";

    /// <summary>This replica's holder identity in the Lease.</summary>
    [Required]
    public string Identity { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>
    /// The gRPC address other replicas forward reports to while this one leads (written to Redis).
    /// Default: the Grpc endpoint's URL with a wildcard host replaced by POD_IP or the host name.
    /// </summary>
    public string? AdvertiseAddress { get; set; }

    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (LeaseDuration < TimeSpan.FromSeconds(1) || LeaseDuration.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            yield return new($"{Section}:LeaseDuration must be a whole number of seconds, at least 00:00:01 (got {LeaseDuration})");
        }

        if (RenewDeadline <= TimeSpan.Zero || RenewDeadline >= LeaseDuration)
        {
            yield return new($"{Section}:RenewDeadline must be positive and shorter than LeaseDuration (got {RenewDeadline})");
        }

        if (RetryPeriod <= TimeSpan.Zero || RetryPeriod >= RenewDeadline)
        {
            yield return new($"{Section}:RetryPeriod must be positive and shorter than RenewDeadline (got {RetryPeriod})");
        }

        if (AdvertiseAddress is { Length: > 0 } a && !Uri.TryCreate(a, UriKind.Absolute, out _))
        {
            yield return new($"{Section}:AdvertiseAddress must be an absolute URL like http://10.0.0.5:7000 (got \"{a}\")");
        }
    }
}
