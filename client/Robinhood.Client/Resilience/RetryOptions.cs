namespace Robinhood.Client.Resilience;

/// <summary>
/// Retries of safe requests (section <c>Robinhood:Retry</c>): once, on another endpoint, while the retry budget lasts.
/// The budget is <see cref="BudgetPercent"/> of the requests of the last <see cref="BudgetWindow"/> plus
/// <see cref="MinRetriesPerSecond"/>, so a fleet that fails as a whole never sees more than that share of extra load.
/// </summary>
public sealed class RetryOptions
{
    /// <summary>Retry at all (idempotent HTTP requests without a body that cannot be replayed; gRPC calls a retry policy marks).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Retries allowed as a percentage of the requests in the window.</summary>
    public int BudgetPercent { get; set; } = 20;

    /// <summary>Retries allowed per second on top of the percentage, so a service with little traffic can still retry.</summary>
    public int MinRetriesPerSecond { get; set; } = 3;

    /// <summary>How far back the budget counts requests and retries.</summary>
    public TimeSpan BudgetWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one try may take before it counts as failed and is retried; unset = only the caller's timeout.</summary>
    public TimeSpan? PerTryTimeout { get; set; }
}
