using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;
using Robinhood.Client;

namespace Robinhood.Proxy;

/// <summary>
/// Publishes the <see cref="ClientMetrics.MeterName"/> meter on the proxy's prometheus-net registry under the names a
/// Prometheus exporter gives them (<c>robinhood.client.picks</c> counter → <c>robinhood_client_picks_total</c>).
/// Listens from construction: a gauge recorded before the listener starts (a service's first snapshot) would be
/// missing from <c>/metrics</c> until the next change, so <see cref="ProxyApp"/> makes it before anything subscribes.
/// </summary>
internal sealed class ClientMetricsExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Func<string[], IGauge>> _gauges = new();
    private readonly ConcurrentDictionary<Instrument, Func<string[], ICounter>> _counters = new();

    public ClientMetricsExporter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ClientMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var names = new string[tags.Length];
        var values = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            names[i] = tags[i].Key;
            values[i] = tags[i].Value?.ToString() ?? "";
        }

        var name = instrument.Name.Replace('.', '_');
        if (instrument is Counter<long>)
        {
            var counter = _counters.GetOrAdd(instrument, _ =>
            {
                var family = Metrics.CreateCounter(name + "_total", instrument.Description ?? name, names);
                return labels => family.WithLabels(labels);
            });
            counter(values).Inc(value);
            return;
        }

        var gauge = _gauges.GetOrAdd(instrument, _ =>
        {
            var family = Metrics.CreateGauge(name, instrument.Description ?? name, names);
            return labels => family.WithLabels(labels);
        });
        gauge(values).Set(value);
    }
}
