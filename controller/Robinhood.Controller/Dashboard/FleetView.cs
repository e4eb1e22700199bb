using System.Collections.Concurrent;
using Robinhood.Control;
using Robinhood.Controller.Control;

namespace Robinhood.Controller.Dashboard;

/// <summary>What the dashboard shows: every service's latest tick and its recent max/avg utilization.</summary>
public sealed class FleetView
{
    /// <summary>Points of history kept per service (10 minutes at the default 1 s tick).</summary>
    public const int HistoryLength = 600;

    private readonly ConcurrentDictionary<string, ServiceHistory> _services = new(StringComparer.Ordinal);

    public void Record(ServiceTick tick, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(tick);
        var history = _services.GetOrAdd(tick.Weights.Service, _ => new ServiceHistory());
        lock (history)
        {
            history.Latest = tick.Weights;
            history.Points.Enqueue(new HistoryPoint(at.ToUnixTimeMilliseconds(), ServiceStatistics.Of(tick.Weights).MaxOverAverage));
            while (history.Points.Count > HistoryLength)
            {
                history.Points.Dequeue();
            }
        }
    }

    /// <summary>A consistent copy for the JSON API, services ordered by name.</summary>
    public IReadOnlyList<ServiceView> Read() =>
        [.. _services.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p =>
        {
            lock (p.Value)
            {
                var latest = p.Value.Latest!;
                return new ServiceView(
                    p.Key,
                    latest.Frozen,
                    ServiceStatistics.Of(latest).MaxOverAverage,
                    [.. latest.Endpoints],
                    [.. p.Value.Points]);
            }
        })];

    private sealed class ServiceHistory
    {
        public ServiceWeights? Latest { get; set; }

        public Queue<HistoryPoint> Points { get; } = new();
    }
}

/// <summary>One point of a service's max/avg utilization history.</summary>
public readonly record struct HistoryPoint(long At, double MaxAvg);

/// <summary>A service as the dashboard renders it.</summary>
public sealed record ServiceView(
    string Service,
    bool Frozen,
    double MaxAvg,
    IReadOnlyList<WeightedEndpoint> Endpoints,
    IReadOnlyList<HistoryPoint> History);
