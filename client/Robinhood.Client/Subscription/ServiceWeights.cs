namespace Robinhood.Client.Subscription;

/// <summary>The live weights of one service: always the newest accepted table, swapped atomically.</summary>
public sealed class ServiceWeights
{
    private readonly TaskCompletionSource<WeightTable> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeSpan _firstSnapshotTimeout;
    private readonly TimeProvider _time;
    private WeightTable _current;

    internal ServiceWeights(string service, TimeSpan firstSnapshotTimeout, TimeProvider time)
    {
        Service = service;
        _firstSnapshotTimeout = firstSnapshotTimeout;
        _time = time;
        _current = WeightTable.Placeholder(service);
    }

    /// <summary>Raised after <see cref="Current"/> changes, on the subscription's thread.</summary>
    public event EventHandler<WeightTable>? Changed;

    /// <summary>The logical service.</summary>
    public string Service { get; }

    /// <summary>The newest table; readers never lock.</summary>
    public WeightTable Current => Volatile.Read(ref _current);

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
            return await _first.Task.WaitAsync(_firstSnapshotTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return Current;
        }
    }

    internal void Publish(WeightTable table)
    {
        Volatile.Write(ref _current, table);
        _first.TrySetResult(table);
        Changed?.Invoke(this, table);
    }
}
