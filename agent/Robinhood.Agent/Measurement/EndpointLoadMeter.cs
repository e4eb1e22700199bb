using Google.Protobuf.WellKnownTypes;
using Robinhood.Agent.Configuration;
using Robinhood.Agent.InFlight;
using Robinhood.Agent.Reporting;
using Robinhood.V1;

namespace Robinhood.Agent.Measurement;

/// <summary>Sidecar and embedded mode: the load of this one endpoint, CPU from its cgroup and in-flight from the application.</summary>
public sealed class EndpointLoadMeter : ILoadSource
{
    private readonly AgentOptions _options;
    private readonly CpuMeter _cpu;
    private readonly IInFlightSource _inFlight;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public EndpointLoadMeter(AgentOptions options, CpuMeter cpu, IInFlightSource inFlight, TimeProvider time, ILogger<EndpointLoadMeter> logger)
    {
        _options = options;
        _cpu = cpu;
        _inFlight = inFlight;
        _time = time;
        _logger = logger;
        _logger.CpuSourceSelected(options.Endpoint, cpu.Source.Kind);

        // The baseline, so that the first report already carries a rate.
        _cpu.Sample();
    }

    public async ValueTask<IReadOnlyList<LoadReport>> MeasureAsync(CancellationToken cancellationToken)
    {
        try
        {
            var cpu = _cpu.Sample();
            var load = await _inFlight.ReadAsync(cancellationToken);
            if (cpu is not { } utilization)
            {
                return [];
            }

            return
            [
                new LoadReport
                {
                    Service = _options.Service,
                    Endpoint = _options.Endpoint,
                    Zone = _options.Zone,
                    CpuUtilization = utilization,
                    InFlight = load.InFlight,
                    MaxInFlight = _options.MaxInFlight,
                    RequestsPerSecond = load.RequestsPerSecond ?? 0,
                    ObservedAt = Timestamp.FromDateTimeOffset(_time.GetUtcNow()),
                },
            ];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or HttpRequestException or FormatException
            or TaskCanceledException { CancellationToken.IsCancellationRequested: false })
        {
            // No report is better than a made-up one: the controller marks a silent endpoint stale.
            _logger.MeasurementFailed(ex, _options.Endpoint);
            return [];
        }
    }
}
