using System.Collections.Concurrent;

namespace Robinhood.Client.Tests.Support;

/// <summary>Steady request load from a few paced workers, every outcome kept with its time, until disposed.</summary>
public sealed class Traffic : IAsyncDisposable
{
    private readonly ConcurrentQueue<(long At, bool Ok)> _outcomes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;

    private Traffic(Func<CancellationToken, Task<bool>> send, int workers, TimeSpan pause)
    {
        _workers = [.. Enumerable.Range(0, workers).Select(_ => Task.Run(() => RunAsync(send, pause)))];
    }

    /// <summary>Starts <paramref name="workers"/> loops, each sending one request then pausing.</summary>
    public static Traffic Start(Func<CancellationToken, Task<bool>> send, int workers = 4, int pauseMs = 20) =>
        new(send, workers, TimeSpan.FromMilliseconds(pauseMs));

    /// <summary>Requests that completed in [from, to) (Environment.TickCount64 ms) and how many of them failed.</summary>
    public (int Requests, int Failures) Between(long from, long to)
    {
        var inWindow = _outcomes.Where(o => o.At >= from && o.At < to).ToList();
        return (inWindow.Count, inWindow.Count(o => !o.Ok));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        _stop.Dispose();
    }

    private async Task RunAsync(Func<CancellationToken, Task<bool>> send, TimeSpan pause)
    {
        while (!_stop.IsCancellationRequested)
        {
            bool ok;
            try
            {
                ok = await send(_stop.Token);
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                ok = false;
            }
            catch (Exception)
            {
                return;
            }

            _outcomes.Enqueue((Environment.TickCount64, ok));
            try
            {
                await Task.Delay(pause, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
