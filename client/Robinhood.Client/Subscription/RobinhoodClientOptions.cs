using Microsoft.Extensions.Options;
using Robinhood.Client.Resilience;
using Robinhood.V1;

namespace Robinhood.Client.Subscription;

/// <summary>Where the controller is and how the weight subscription behaves (section <c>Robinhood</c>).</summary>
public sealed class RobinhoodClientOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "Robinhood";

    /// <summary>Controller gRPC address (<c>Robinhood:Controller</c>).</summary>
    public Uri Controller { get; set; } = new("http://127.0.0.1:7000");

    /// <summary>Subscription tuning (<c>Robinhood:Client:*</c>).</summary>
    public WatchSettings Client { get; set; } = new();

    /// <summary>Local ejection of failing endpoints (<c>Robinhood:OutlierDetection:*</c>).</summary>
    public OutlierDetectionOptions OutlierDetection { get; set; } = new();

    /// <summary>Budgeted retries of safe requests (<c>Robinhood:Retry:*</c>).</summary>
    public RetryOptions Retry { get; set; } = new();
}

/// <summary>How the Watch stream reconnects and how long a snapshot may serve without the controller.</summary>
public sealed class WatchSettings
{
    /// <summary>Sent as <c>client_id</c> for the controller's logs and metrics.</summary>
    public string ClientId { get; set; } = Environment.MachineName;

    /// <summary>
    /// The controller's read token (its <c>Robinhood:Read:Token</c>), sent as <c>authorization: Bearer</c> on the Watch
    /// stream; unset, none is sent (a controller without a read token).
    /// </summary>
    public string? ReadToken { get; set; }

    /// <summary>First reconnect delay; it grows ×1.6 per failed attempt, ±20% jitter.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest reconnect delay.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long after losing the controller the last snapshot keeps serving before the client falls
    /// back to equal weights; unset = serve the last snapshot for as long as the controller is away.
    /// </summary>
    public TimeSpan? MaxSnapshotAge { get; set; }

    /// <summary>How long a request waits for a service's first snapshot before it fails.</summary>
    public TimeSpan FirstSnapshotTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Refuses options that would break the subscription, naming the key and the rule.</summary>
internal sealed class RobinhoodClientOptionsValidator : IValidateOptions<RobinhoodClientOptions>
{
    public ValidateOptionsResult Validate(string? name, RobinhoodClientOptions options)
    {
        var failures = new List<string>();
        if (options.Controller is not { IsAbsoluteUri: true } controller || (controller.Scheme != Uri.UriSchemeHttp && controller.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add("Robinhood:Controller must be an absolute http:// or https:// URL.");
        }

        var client = options.Client;
        if (client.ReadToken is { } token && BearerToken.Check(token) is { } rule)
        {
            failures.Add($"Robinhood:Client:ReadToken must be {rule}.");
        }

        if (client.ReconnectDelay <= TimeSpan.Zero)
        {
            failures.Add("Robinhood:Client:ReconnectDelay must be positive.");
        }

        if (client.MaxReconnectDelay < client.ReconnectDelay)
        {
            failures.Add("Robinhood:Client:MaxReconnectDelay must be at least Robinhood:Client:ReconnectDelay.");
        }

        if (client.MaxSnapshotAge is { } age && age <= TimeSpan.Zero)
        {
            failures.Add("Robinhood:Client:MaxSnapshotAge must be positive when set.");
        }

        if (client.FirstSnapshotTimeout < TimeSpan.Zero)
        {
            failures.Add("Robinhood:Client:FirstSnapshotTimeout must not be negative.");
        }

        var outliers = options.OutlierDetection;
        if (outliers.Consecutive5xx < 0)
        {
            failures.Add("Robinhood:OutlierDetection:Consecutive5xx must not be negative (0 turns ejection off).");
        }

        if (outliers.BaseEjectionTime <= TimeSpan.Zero)
        {
            failures.Add("Robinhood:OutlierDetection:BaseEjectionTime must be positive.");
        }

        if (outliers.MaxEjectionTime < outliers.BaseEjectionTime)
        {
            failures.Add("Robinhood:OutlierDetection:MaxEjectionTime must be at least Robinhood:OutlierDetection:BaseEjectionTime.");
        }

        if (outliers.Interval < TimeSpan.Zero)
        {
            failures.Add("Robinhood:OutlierDetection:Interval must not be negative.");
        }

        if (outliers.MaxEjectionPercent is < 0 or > 100)
        {
            failures.Add("Robinhood:OutlierDetection:MaxEjectionPercent must be 0..100.");
        }

        var retry = options.Retry;
        if (retry.BudgetPercent is < 0 or > 100)
        {
            failures.Add("Robinhood:Retry:BudgetPercent must be 0..100.");
        }

        if (retry.MinRetriesPerSecond < 0)
        {
            failures.Add("Robinhood:Retry:MinRetriesPerSecond must not be negative.");
        }

        if (retry.BudgetWindow < TimeSpan.FromSeconds(1) || retry.BudgetWindow > TimeSpan.FromMinutes(10))
        {
            failures.Add("Robinhood:Retry:BudgetWindow must be 00:00:01..00:10:00.");
        }

        if (retry.PerTryTimeout is { } perTry && perTry <= TimeSpan.Zero)
        {
            failures.Add("Robinhood:Retry:PerTryTimeout must be positive when set.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
