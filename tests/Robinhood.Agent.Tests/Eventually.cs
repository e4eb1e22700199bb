using System.Diagnostics;

namespace Robinhood.Agent.Tests;

/// <summary>Waits for a condition another thread makes true, failing with what was awaited after <see cref="LoopbackServer.Timeout"/>.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > LoopbackServer.Timeout)
            {
                throw new TimeoutException($"Still not true after {LoopbackServer.Timeout}: {what}");
            }

            await Task.Delay(10);
        }
    }
}
