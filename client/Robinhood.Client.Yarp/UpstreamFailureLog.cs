using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Robinhood.Client.Yarp;

/// <summary>
/// Logs a failing upstream once per endpoint per interval, one line without a stack trace, with the number of
/// failures since the last line: a dead backend under load must not bury the log.
/// </summary>
internal sealed partial class UpstreamFailureLog(TimeProvider time, ILogger<UpstreamFailureLog> logger)
{
    /// <summary>How often one endpoint's failures are logged at most.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public void Failed(string service, string endpoint, ForwarderError error, Exception? exception)
    {
        var entry = _entries.GetOrAdd(endpoint, static _ => new Entry());
        var now = time.GetTimestamp();
        lock (entry)
        {
            entry.Failures++;
            if (entry.LoggedAt is { } last && time.GetElapsedTime(last, now) < Interval)
            {
                return;
            }

            Log(logger, endpoint, service, error, exception?.GetBaseException().Message ?? "no detail", entry.Failures, Interval);
            entry.LoggedAt = now;
            entry.Failures = 0;
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Upstream {Endpoint} of {Service} failed: {Error} ({Reason}); {Failures} failures since the last line, logged at most every {Interval}")]
    private static partial void Log(ILogger logger, string endpoint, string service, ForwarderError error, string reason, int failures, TimeSpan interval);

    private sealed class Entry
    {
        public long? LoggedAt;
        public int Failures;
    }
}
