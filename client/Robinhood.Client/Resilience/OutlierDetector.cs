using System.Collections.Concurrent;
using System.Collections.Frozen;
using Microsoft.Extensions.Logging;

namespace Robinhood.Client.Resilience;

/// <summary>
/// Watches the outcome of every request to one service's endpoints and ejects an endpoint locally after
/// consecutive failures (Envoy's outlier detection): the controller cannot see a backend that is dead while its
/// agent still reports it idle. An ejection lasts longer each time in a row and ends by itself on a timer.
/// </summary>
internal sealed class OutlierDetector
{
    private readonly string _service;
    private readonly OutlierDetectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<int> _pickable;
    private readonly Action _changed;
    private readonly ConcurrentDictionary<string, EndpointRecord> _records = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private FrozenSet<string> _ejected = FrozenSet<string>.Empty;

    /// <param name="service">The service, for logs and metrics.</param>
    /// <param name="options">Thresholds and times.</param>
    /// <param name="time">Clock and timers for ejections.</param>
    /// <param name="logger">Where ejections and returns are logged.</param>
    /// <param name="pickable">How many endpoints the controller lets take requests now (the base of the percentage).</param>
    /// <param name="changed">Called (outside this detector's lock) after the ejected set changed.</param>
    public OutlierDetector(string service, OutlierDetectionOptions options, TimeProvider time, ILogger logger, Func<int> pickable, Action changed)
    {
        _service = service;
        _options = options;
        _time = time;
        _logger = logger;
        _pickable = pickable;
        _changed = changed;
    }

    /// <summary>The endpoints ejected now.</summary>
    public FrozenSet<string> Ejected => Volatile.Read(ref _ejected);

    /// <summary>True when the endpoint's most recent request failed (a retry should go elsewhere).</summary>
    public bool IsFailing(string endpoint) => _records.TryGetValue(endpoint, out var record) && Volatile.Read(ref record.Consecutive) > 0;

    /// <summary>A request to the endpoint succeeded: its run of failures ends.</summary>
    public void ReportSuccess(string endpoint)
    {
        if (_records.TryGetValue(endpoint, out var record) && Volatile.Read(ref record.Consecutive) != 0)
        {
            Volatile.Write(ref record.Consecutive, 0);
        }
    }

    /// <summary>A request to the endpoint failed; the failure that completes a run of <see cref="OutlierDetectionOptions.Consecutive5xx"/> ejects it.</summary>
    public void ReportFailure(string endpoint)
    {
        if (_options.Consecutive5xx <= 0)
        {
            return;
        }

        var record = _records.GetOrAdd(endpoint, static _ => new EndpointRecord());
        if (Interlocked.Increment(ref record.Consecutive) < _options.Consecutive5xx)
        {
            return;
        }

        if (Eject(endpoint, record))
        {
            _changed();
        }
    }

    private bool Eject(string endpoint, EndpointRecord record)
    {
        lock (_gate)
        {
            if (record.Timer is not null || Volatile.Read(ref record.Consecutive) < _options.Consecutive5xx)
            {
                return false;
            }

            var pickable = _pickable();
            var allowed = Math.Max(1, pickable * _options.MaxEjectionPercent / 100);
            if (_options.MaxEjectionPercent <= 0 || _ejected.Count >= allowed || _ejected.Count + 1 >= pickable)
            {
                // The cap holds: the endpoint keeps its share. It may be ejected after its next failure, once others return.
                return false;
            }

            var now = _time.GetUtcNow();
            if (record.ReturnedAt is { } returned && _options.Interval > TimeSpan.Zero)
            {
                var forgiven = (int)Math.Min(record.Ejections, (now - returned) / _options.Interval);
                record.Ejections -= forgiven;
            }

            record.Ejections++;
            var duration = TimeSpan.FromTicks(Math.Min(_options.MaxEjectionTime.Ticks, _options.BaseEjectionTime.Ticks * record.Ejections));
            var failures = Volatile.Read(ref record.Consecutive);
            record.Timer = _time.CreateTimer(_ => Return(endpoint, record), null, duration, Timeout.InfiniteTimeSpan);
            Volatile.Write(ref _ejected, _ejected.Append(endpoint).ToFrozenSet(StringComparer.Ordinal));
            ClientMetrics.Ejections.Add(1, ClientMetrics.Service(_service), ClientMetrics.Endpoint(endpoint));
            ClientMetrics.Ejected.Record(_ejected.Count, ClientMetrics.Service(_service));
            ResilienceLog.Ejected(_logger, endpoint, _service, duration, failures, record.Ejections);
            return true;
        }
    }

    /// <summary>Forgets endpoints that left the service; an ejected one that left is no longer counted against the cap.</summary>
    public void Retain(IReadOnlySet<string> members)
    {
        lock (_gate)
        {
            foreach (var endpoint in _records.Keys.Where(e => !members.Contains(e)).ToList())
            {
                if (_records.TryRemove(endpoint, out var record))
                {
                    record.Timer?.Dispose();
                }
            }

            if (_ejected.Any(e => !members.Contains(e)))
            {
                Volatile.Write(ref _ejected, _ejected.Where(members.Contains).ToFrozenSet(StringComparer.Ordinal));
                ClientMetrics.Ejected.Record(_ejected.Count, ClientMetrics.Service(_service));
            }
        }
    }

    private void Return(string endpoint, EndpointRecord record)
    {
        lock (_gate)
        {
            if (!_records.TryGetValue(endpoint, out var current) || !ReferenceEquals(current, record) || record.Timer is null)
            {
                return;
            }

            record.Timer?.Dispose();
            record.Timer = null;
            record.ReturnedAt = _time.GetUtcNow();
            Volatile.Write(ref record.Consecutive, 0);
            Volatile.Write(ref _ejected, _ejected.Where(e => e != endpoint).ToFrozenSet(StringComparer.Ordinal));
            ClientMetrics.Ejected.Record(_ejected.Count, ClientMetrics.Service(_service));
            ResilienceLog.Returned(_logger, endpoint, _service);
        }

        _changed();
    }

    private sealed class EndpointRecord
    {
        public int Consecutive;
        public int Ejections;
        public DateTimeOffset? ReturnedAt;
        public ITimer? Timer;
    }
}
