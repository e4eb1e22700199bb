using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Robinhood.Agent.Configuration;
using Robinhood.Agent.InFlight;
using Robinhood.Agent.Measurement;
using Robinhood.Agent.Reporting;
using Robinhood.V1;

namespace Robinhood.Agent.Node;

/// <summary>
/// Node mode: one report per pod <see cref="NodePodWatcher"/> lists, CPU from the pod's cgroup against its limit
/// (the cgroup's quota, else the containers' limits, else the node's CPUs), in-flight from the pod's in-flight URL
/// when annotated (else 0 of an unknown maximum). A pod's first round only takes the CPU baseline.
/// </summary>
public sealed class NodeLoadMeter : ILoadSource
{
    private readonly NodePodWatcher _watcher;
    private readonly PodCgroupLocator _cgroups;
    private readonly HttpClient _http;
    private readonly AgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly double _nodeCpus;
    private readonly Dictionary<string, PodMeter> _meters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _missingCgroups = new(StringComparer.Ordinal);

    public NodeLoadMeter(
        NodePodWatcher watcher,
        PodCgroupLocator cgroups,
        HttpClient http,
        IOptions<AgentOptions> options,
        TimeProvider time,
        ILogger<NodeLoadMeter> logger,
        double? nodeCpus = null)
    {
        _watcher = watcher;
        _cgroups = cgroups;
        _http = http;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _nodeCpus = nodeCpus ?? Environment.ProcessorCount;
    }

    public async ValueTask<IReadOnlyList<LoadReport>> MeasureAsync(CancellationToken cancellationToken)
    {
        var pods = _watcher.Pods;
        foreach (var uid in _meters.Keys.Where(uid => !pods.ContainsKey(uid)).ToList())
        {
            _meters.Remove(uid);
            _cgroups.Forget(uid);
        }

        _missingCgroups.IntersectWith(pods.Keys);
        var measuring = new List<Task<PodMeasurement>>();
        foreach (var pod in pods.Values)
        {
            if (Meter(pod) is { } meter)
            {
                measuring.Add(MeasureAsync(meter, cancellationToken));
            }
        }

        // In-flight URLs are asked in parallel, so one slow pod does not delay the others' reports.
        var measured = await Task.WhenAll(measuring);
        foreach (var lost in measured.Where(m => m.CgroupLost))
        {
            // A vanished cgroup directory is looked for again next round.
            _meters.Remove(lost.Uid);
            _cgroups.Forget(lost.Uid);
        }

        return measured.Select(m => m.Report).OfType<LoadReport>().ToList();
    }

    /// <summary>The pod's meter; a new one takes its baseline now and is measured from the next round.</summary>
    private PodMeter? Meter(PodEndpoint pod)
    {
        if (_meters.TryGetValue(pod.Uid, out var existing))
        {
            if (existing.Pod != pod)
            {
                // Annotations changed; the CPU counter (same cgroup) keeps its baseline.
                existing = existing with { Pod = pod, InFlight = InFlightSource(pod) };
                _meters[pod.Uid] = existing;
            }

            return existing;
        }

        var allowed = Math.Min(pod.LimitCpus ?? _nodeCpus, _nodeCpus);
        if (_cgroups.Find(pod.Uid) is not { } path || CpuMeter.ForCgroup(_cgroups.CgroupRoot, path, _time, allowed) is not { } cpu)
        {
            if (_missingCgroups.Add(pod.Uid))
            {
                _logger.PodCgroupNotFound(pod.Pod, pod.Uid, _cgroups.CgroupRoot);
            }

            return null;
        }

        _missingCgroups.Remove(pod.Uid);
        _logger.CpuSourceSelected(pod.Endpoint, $"{cpu.Source.Kind} {path}");
        try
        {
            cpu.Sample();
        }
        catch (IOException ex)
        {
            _logger.MeasurementFailed(ex, pod.Endpoint);
            _cgroups.Forget(pod.Uid);
            return null;
        }

        _meters[pod.Uid] = new PodMeter(pod, cpu, InFlightSource(pod));
        return null;
    }

    private async Task<PodMeasurement> MeasureAsync(PodMeter meter, CancellationToken cancellationToken)
    {
        var pod = meter.Pod;
        try
        {
            var cpu = meter.Cpu.Sample();
            var load = meter.InFlight is { } inFlight ? await inFlight.ReadAsync(cancellationToken) : default;
            if (cpu is not { } utilization)
            {
                return new PodMeasurement(pod.Uid, null, CgroupLost: false);
            }

            return new PodMeasurement(pod.Uid, new LoadReport
            {
                Service = pod.Service,
                Endpoint = pod.Endpoint,
                Zone = _options.Zone,
                CpuUtilization = utilization,
                InFlight = load.InFlight,
                MaxInFlight = meter.InFlight is null ? 0 : pod.MaxInFlight ?? _options.MaxInFlight,
                RequestsPerSecond = load.RequestsPerSecond ?? 0,
                ObservedAt = Timestamp.FromDateTimeOffset(_time.GetUtcNow()),
            }, CgroupLost: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or HttpRequestException or FormatException
            or TaskCanceledException { CancellationToken.IsCancellationRequested: false })
        {
            // No report is better than a made-up one.
            _logger.MeasurementFailed(ex, pod.Endpoint);
            return new PodMeasurement(pod.Uid, null, CgroupLost: ex is DirectoryNotFoundException or FileNotFoundException);
        }
    }

    private IInFlightSource? InFlightSource(PodEndpoint pod) => pod.InFlightUrl is { } url ? new HttpInFlightSource(_http, url) : null;

    private readonly record struct PodMeasurement(string Uid, LoadReport? Report, bool CgroupLost);

    private sealed record PodMeter(PodEndpoint Pod, CpuMeter Cpu, IInFlightSource? InFlight);
}
