using System.ComponentModel.DataAnnotations;

namespace Robinhood.Controller.Admin;

/// <summary>The admin API (<c>Robinhood:Admin</c>): rollout modes and endpoint overrides, behind a bearer token.</summary>
public sealed class AdminOptions
{
    public const string Section = "Robinhood:Admin";

    /// <summary>The bearer token the admin API requires; unset, the admin API refuses every call.</summary>
    [MinLength(16, ErrorMessage = "Robinhood:Admin:Token must be at least 16 characters")]
    [MaxLength(4096, ErrorMessage = "Robinhood:Admin:Token must be at most 4096 characters")]
    public string? Token { get; set; }

    /// <summary>How long a replica waits for the owner of a service's shard to answer an admin call it forwarded (504 past it).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "Robinhood:Admin:ForwardTimeout must be between 00:00:00.100 and 00:01:00")]
    public TimeSpan ForwardTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
