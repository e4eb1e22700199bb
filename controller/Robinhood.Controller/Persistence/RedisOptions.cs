using System.ComponentModel.DataAnnotations;

namespace Robinhood.Controller.Persistence;

/// <summary>
/// <c>Robinhood:Redis</c>: where state lives in Redis and how often followers resync. The connection
/// itself is <c>ConnectionStrings:Redis</c>; unset means in-memory state only.
/// </summary>
public sealed class RedisOptions
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
}
