using System.ComponentModel.DataAnnotations;

namespace Robinhood.Controller.Persistence;

/// <summary>
/// <c>Robinhood:Redis</c>: where state lives in Redis and how often followers resync. The connection
/// itself is <c>ConnectionStrings:Redis</c>; unset means in-memory state only.
/// </summary>
public sealed class RedisOptions : IValidatableObject
{
    public const string Section = "Robinhood:Redis";

    /// <summary>Prefix of every key and channel, so several controllers can share one Redis.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9:._-]{1,64}$", ErrorMessage = "Robinhood:Redis:KeyPrefix must be 1..64 characters of [A-Za-z0-9:._-]")]
    public string KeyPrefix { get; set; } = "robinhood:";

    /// <summary>How often a replica re-reads every snapshot, besides pub/sub (a missed message heals here).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Robinhood:Redis:ResyncInterval must be between 00:00:00.100 and 01:00:00")]
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a replica taking the lead waits for each Redis step of the restore; past it the attempt failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "Robinhood:Redis:RestoreTimeout must be between 00:00:00.100 and 00:05:00")]
    public TimeSpan RestoreTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the leader waits for one write of every service; past it the write failed and the next tick's state is written.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "Robinhood:Redis:WriteTimeout must be between 00:00:00.100 and 00:05:00")]
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest wait between restore attempts of a replica that stays a follower because its restore failed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "Robinhood:Redis:MaxRestoreBackoff must be between 00:00:01 and 00:10:00")]
    public TimeSpan MaxRestoreBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// PEM file of the CA that signed the Redis server's certificate: the connection trusts it (and no other) and
    /// uses TLS, as <c>ssl=true</c> in the connection string does. Empty: the system's trust store, when TLS is on.
    /// </summary>
    public string CaFile { get; set; } = "";

    /// <summary>PEM client certificate for Redis servers that authenticate clients by certificate (<c>tls-auth-clients yes</c>).</summary>
    public string CertFile { get; set; } = "";

    /// <summary>PEM private key of <see cref="CertFile"/>.</summary>
    public string KeyFile { get; set; } = "";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (key, path) in new[] { (nameof(CaFile), CaFile), (nameof(CertFile), CertFile), (nameof(KeyFile), KeyFile) })
        {
            if (path.Length > 0 && !File.Exists(path))
            {
                yield return new ValidationResult($"{Section}:{key} must name a readable PEM file (no file at '{path}')", [key]);
            }
        }

        if ((CertFile.Length > 0) != (KeyFile.Length > 0))
        {
            yield return new ValidationResult($"{Section}:CertFile and {Section}:KeyFile must be set together (a client certificate and its key)", [nameof(CertFile), nameof(KeyFile)]);
        }
    }
}
