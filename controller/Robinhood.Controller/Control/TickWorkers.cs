using System.Runtime.ExceptionServices;

namespace Robinhood.Controller.Control;

/// <summary>
/// Runs the items of a round on the calling thread and on threads of its own, handing them out one at a time: the
/// tick's services, which on the shared thread pool waited behind the report streams' work. There the tick ran on
/// one thread until a pool thread took its second worker: 1.5 ms on average and up to 7 ms, of a 4.7 ms tick, at
/// 10,000 endpoints (bench/SCALE.md). A thread of its own is woken by the round instead.
/// </summary>
/// <remarks>
/// A round ends when every item is done. It does not wait for a thread that has not woken by then: that thread
/// finds the round closed and sleeps again. One round at a time; an item's exception stops the round (items not
/// yet handed out are skipped) and is rethrown to the caller.
/// </remarks>
public sealed class TickWorkers : IDisposable
{
    private readonly Thread[] _threads;
    private readonly Lock _round = new();
    private readonly object _gate = new();
    private long _roundId;
    private bool _open;
    private int _joined;
    private bool _disposed;
    private Action<int>? _body;
    private int _count;
    private int _next;
    private volatile bool _failed;
    private Exception? _failure;

    /// <param name="parallelism">Threads a round runs on, the caller's included (at least 1).</param>
    public TickWorkers(int parallelism)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        _threads = new Thread[parallelism - 1];
        for (var i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(Loop) { IsBackground = true, Name = $"robinhood-tick-{i + 1}" };
            _threads[i].Start();
        }
    }

    /// <summary>Threads a round runs on, the caller's included.</summary>
    public int Parallelism => _threads.Length + 1;

    /// <summary>Runs <paramref name="body"/> once for every index below <paramref name="count"/>; returns when all are done.</summary>
    public void Run(int count, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        lock (_round)
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                (_body, _count, _next, _failed, _failure) = (body, count, -1, false, null);
                _roundId++;
                _open = true;
                if (count > 1)
                {
                    Monitor.PulseAll(_gate);
                }
            }

            Work();
            lock (_gate)
            {
                // Every item is handed out: what is left is the items the joined threads are doing.
                _open = false;
                while (_joined > 0)
                {
                    Monitor.Wait(_gate);
                }

                _body = null;
            }

            if (_failure is { } failure)
            {
                ExceptionDispatchInfo.Throw(failure);
            }
        }
    }

    private void Loop()
    {
        long seen = 0;
        while (true)
        {
            lock (_gate)
            {
                while (!_disposed && (!_open || _roundId == seen))
                {
                    Monitor.Wait(_gate);
                }

                if (_disposed)
                {
                    return;
                }

                seen = _roundId;
                _joined++;
            }

            Work();
            lock (_gate)
            {
                if (--_joined == 0)
                {
                    Monitor.PulseAll(_gate);
                }
            }
        }
    }

    private void Work()
    {
        try
        {
            int i;
            while (!_failed && (i = Interlocked.Increment(ref _next)) < _count)
            {
                _body!(i);
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            _failed = true;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Monitor.PulseAll(_gate);
        }

        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }
    }
}
