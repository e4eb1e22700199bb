namespace Robinhood.Client.Resilience;

/// <summary>
/// One try's token: the caller's, also cancelled when <c>Robinhood:Retry:PerTryTimeout</c> has passed on the client's
/// <see cref="TimeProvider"/> (the clock ejections and the retry budget run on, so tests drive all three alike).
/// </summary>
internal sealed class TryTimeout : IDisposable
{
    private readonly CancellationTokenSource _timeout;
    private readonly CancellationTokenSource _try;

    public TryTimeout(TimeSpan timeout, TimeProvider time, CancellationToken caller)
    {
        Timeout = timeout;
        _timeout = new CancellationTokenSource(timeout, time);
        _try = CancellationTokenSource.CreateLinkedTokenSource(caller, _timeout.Token);
    }

    /// <summary>The per-try timeout, for messages.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Cancelled by the caller or when the timeout passed.</summary>
    public CancellationToken Token => _try.Token;

    /// <summary>True once the timeout passed (whatever the caller did).</summary>
    public bool Expired => _timeout.IsCancellationRequested;

    public void Dispose()
    {
        _try.Dispose();
        _timeout.Dispose();
    }
}
