using System.Collections.Immutable;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;
using Robinhood.Agent.Configuration;
using Robinhood.Agent.Reporting;
using Robinhood.V1;

namespace Robinhood.Agent.Node;

/// <summary>
/// Node mode: lists and watches the pods on <c>Robinhood:Agent:NodeName</c> that carry the service label (field selector
/// <c>spec.nodeName</c>, label selector on the label's presence), resuming from the last resourceVersion and listing
/// again on 410 Gone, with jittered backoff on errors. <see cref="Pods"/> is the running ones with an IP and a port.
/// </summary>
public sealed class NodePodWatcher : BackgroundService
{
    private readonly IKubernetes _client;
    private readonly AgentOptions _options;
    private readonly Backoff _backoff;
    private readonly TimeProvider _time;
    private readonly AgentMetrics _metrics;
    private readonly ILogger _logger;
    private ImmutableDictionary<string, PodEndpoint> _pods = ImmutableDictionary.Create<string, PodEndpoint>(StringComparer.Ordinal);

    public NodePodWatcher(
        IKubernetes client,
        IOptions<AgentOptions> options,
        Backoff backoff,
        TimeProvider time,
        AgentMetrics metrics,
        ILogger<NodePodWatcher> logger)
    {
        _client = client;
        _options = options.Value;
        _backoff = backoff;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The pods to report now, by UID.</summary>
    public IReadOnlyDictionary<string, PodEndpoint> Pods => Volatile.Read(ref _pods);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var node = _options.NodeName;
        var fieldSelector = $"spec.nodeName={node}";
        var labelSelector = _options.ServiceLabel;
        _logger.PodWatchStarting(node, labelSelector);
        string? resourceVersion = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    var list = await _client.CoreV1.ListPodForAllNamespacesAsync(
                        fieldSelector: fieldSelector, labelSelector: labelSelector, cancellationToken: stoppingToken);
                    Replace(list.Items);
                    resourceVersion = list.Metadata?.ResourceVersion;
                    _metrics.PodWatchEvents.WithLabels("list").Inc();
                }

                var gone = false;
                var events = _client.CoreV1.WatchListPodForAllNamespacesAsync(
                    allowWatchBookmarks: true,
                    fieldSelector: fieldSelector,
                    labelSelector: labelSelector,
                    resourceVersion: resourceVersion,
                    onError: e => gone |= e is KubernetesException { Status.Code: (int)HttpStatusCode.Gone },
                    cancellationToken: stoppingToken);
                await foreach (var (type, pod) in events)
                {
                    _backoff.Reset();
                    _metrics.PodWatchEvents.WithLabels(type.ToString().ToLowerInvariant()).Inc();
                    resourceVersion = pod.Metadata?.ResourceVersion ?? resourceVersion;
                    if (type is WatchEventType.Added or WatchEventType.Modified)
                    {
                        Apply(pod);
                    }
                    else if (type is WatchEventType.Deleted && pod.Metadata?.Uid is { } uid)
                    {
                        Remove(uid);
                    }
                }

                if (gone)
                {
                    // Our resourceVersion is too old to watch from: start over from a fresh list.
                    _logger.PodRelist(node);
                    _metrics.PodWatchEvents.WithLabels("gone").Inc();
                    resourceVersion = null;
                }
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Gone)
            {
                _logger.PodRelist(node);
                _metrics.PodWatchEvents.WithLabels("gone").Inc();
                resourceVersion = null;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                var delay = _backoff.Next();
                _metrics.PodWatchEvents.WithLabels("error").Inc();
                _logger.PodWatchFailed(ex, node, delay);
                try
                {
                    await Task.Delay(delay, _time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Replace(IEnumerable<V1Pod> pods)
    {
        var next = ImmutableDictionary.CreateBuilder<string, PodEndpoint>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            if (Endpoint(pod) is { } endpoint)
            {
                next[endpoint.Uid] = endpoint;
            }
        }

        var before = Volatile.Read(ref _pods);
        foreach (var gone in before.Values.Where(p => !next.ContainsKey(p.Uid)))
        {
            _logger.PodRemoved(gone.Pod, gone.Endpoint);
        }

        foreach (var added in next.Values.Where(p => !before.ContainsKey(p.Uid)))
        {
            _logger.PodAdded(added.Pod, added.Service, added.Endpoint);
        }

        Publish(next.ToImmutable());
    }

    private void Apply(V1Pod pod)
    {
        // A pod that stopped running (or lost its label, IP or port) stops being reported, as a deleted one does.
        if (Endpoint(pod) is not { } endpoint)
        {
            if (pod.Metadata?.Uid is { } uid)
            {
                Remove(uid);
            }

            return;
        }

        var before = Volatile.Read(ref _pods);
        if (!before.TryGetValue(endpoint.Uid, out var previous) || previous != endpoint)
        {
            if (previous is null)
            {
                _logger.PodAdded(endpoint.Pod, endpoint.Service, endpoint.Endpoint);
            }

            Publish(before.SetItem(endpoint.Uid, endpoint));
        }
    }

    private void Remove(string uid)
    {
        var before = Volatile.Read(ref _pods);
        if (before.TryGetValue(uid, out var gone))
        {
            _logger.PodRemoved(gone.Pod, gone.Endpoint);
            Publish(before.Remove(uid));
        }
    }

    // Only this loop writes; readers take the whole dictionary at once.
    private void Publish(ImmutableDictionary<string, PodEndpoint> pods)
    {
        Volatile.Write(ref _pods, pods);
        _metrics.Pods.Set(pods.Count);
    }

    private PodEndpoint? Endpoint(V1Pod pod)
    {
        var endpoint = PodEndpoint.From(pod, _options.ServiceLabel, _options.Namespace);
        if (endpoint is { InFlightUrl: null }
            && PodEndpoint.Value(pod.Metadata.Annotations, PodEndpointLabels.InFlightUrl) is { Length: > 0 } invalid)
        {
            _logger.PodAnnotationInvalid(endpoint.Pod, PodEndpointLabels.InFlightUrl, invalid);
        }

        return endpoint;
    }
}
