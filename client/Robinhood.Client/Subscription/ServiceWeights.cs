using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Robinhood.Client.Picking;
using Robinhood.Client.Resilience;

namespace Robinhood.Client.Subscription;

/// <summary>
/// The live weights of one service: the newest accepted table, with the endpoints this process ejected given no
/// share, swapped atomically. Every data-plane path reports its outcomes here, so ejections and the retry budget
/// are one implementation for all of them.
/// </summary>
public sealed class ServiceWeights
{
    private readonly TaskCompletionSource<WeightTable> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeSpan _firstSnapshotTimeout;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly OutlierDetector _outliers;
    private readonly RetryBudget _budget;
    private WeightTable _published;
    private WeightTable _current;

    internal ServiceWeights(string service, RobinhoodClientOptions options, TimeProvider time, Random random, ILogger logger)
    {
        Service = service;
        _firstSnapshotTimeout = options.Client.FirstSnapshotTimeout;
        _time = time;
        _random = random;
        _published = WeightTable.Placeholder(service);
        _current = _published;
        _outliers = new OutlierDetector(service, options.OutlierDetection, time, logger, () => Published.PickableCount, Recompute);
        _budget = new RetryBudget(options.Retry, time);
        PerTryTimeout = options.Retry.PerTryTimeout;
    }

    /// <summary>Raised after <see cref="Current"/> changes (new snapshot, ejection or return), in order.</summary>
    public event EventHandler<WeightTable>? Changed;

    /// <summary>The logical service.</summary>
    public string Service { get; }

    /// <summary>Robinhood:Retry:PerTryTimeout, for the paths that pick per attempt without the options at hand.</summary>
    internal TimeSpan? PerTryTimeout { get; }

    /// <summary>Starts one try's <see cref="TryTimeout"/> on the client's clock; null without Robinhood:Retry:PerTryTimeout.</summary>
    internal TryTimeout? StartTry(CancellationToken caller) => PerTryTimeout is { } timeout ? new TryTimeout(timeout, _time, caller) : null;

    /// <summary>The table requests are picked from: the published weights with ejected endpoints at 0. Readers never lock.</summary>
    public WeightTable Current => Volatile.Read(ref _current);

    /// <summary>The newest table the controller published (or the fallback), before local ejections.</summary>
    public WeightTable Published => Volatile.Read(ref _published);

    /// <summary>The endpoints ejected now after consecutive failures.</summary>
    public IReadOnlySet<string> Ejected => _outliers.Ejected;

    /// <summary>
    /// The current table once the first snapshot arrived: at once if it has, else after waiting up to
    /// <see cref="WatchSettings.FirstSnapshotTimeout"/> (then the placeholder, which picks nothing).
    /// </summary>
    public async ValueTask<WeightTable> WaitForSnapshotAsync(CancellationToken cancellationToken)
    {
        var current = Current;
        if (!current.IsPlaceholder)
        {
            return current;
        }

        try
        {
            await _first.Task.WaitAsync(_firstSnapshotTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The placeholder: the caller says there are no weights yet.
        }

        return Current;
    }

    /// <summary>A request to the endpoint got an answer that was not a server failure.</summary>
    public void ReportSuccess(string endpoint) => _outliers.ReportSuccess(endpoint);

    /// <summary>A request to the endpoint failed (connect error, 5xx, transport failure); enough in a row eject it.</summary>
    public void ReportFailure(string endpoint) => _outliers.ReportFailure(endpoint);

    /// <summary>True when the endpoint's last request failed: a retry should pick another.</summary>
    public bool IsFailing(string endpoint) => _outliers.IsFailing(endpoint);

    /// <summary>
    /// Another endpoint than the one that failed, drawn by weight among the others in the table as it is now (the
    /// failure may have ejected it); false only when no other has a weight. A failed endpoint may hold most of the
    /// weight: a dead one the loop raises because its agent reports it idle, back from its ejection.
    /// </summary>
    public bool TryPickOther(string failed, [NotNullWhen(true)] out WeightedEndpoint? other) =>
        WeightedDraw.TryDraw(Current.Endpoints, e => e.Weight, e => e.Address != failed, _random, out other);

    /// <summary>Counts a first try against which retries are budgeted.</summary>
    public void RecordRequest() => _budget.RecordRequest();

    /// <summary>Takes a retry from the service's budget; false (and counted) when it is spent.</summary>
    public bool TryRetry()
    {
        var allowed = _budget.TryRetry();
        ClientMetrics.Retries.Add(1, ClientMetrics.Service(Service), ClientMetrics.Outcome(allowed ? "sent" : "budget_exhausted"));
        return allowed;
    }

    internal void Publish(WeightTable table)
    {
        _outliers.Retain(table.Members);
        lock (_gate)
        {
            Volatile.Write(ref _published, table);
            Update();
        }

        _first.TrySetResult(table);
    }

    private void Recompute()
    {
        lock (_gate)
        {
            Update();
        }
    }

    // Under the gate, so that listeners see the tables in the order they were made.
    private void Update()
    {
        var published = _published;
        var ejected = _outliers.Ejected;
        var current = ejected.Count == 0 || !published.Members.Overlaps(ejected) ? published : published.WithEjected(ejected, _random);
        Volatile.Write(ref _current, current);
        Changed?.Invoke(this, current);
    }
}
