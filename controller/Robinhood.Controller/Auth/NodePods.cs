using k8s;
using k8s.Models;
using Robinhood.Controller.Membership;
using Robinhood.V1;

namespace Robinhood.Controller.Auth;

/// <summary>
/// The IPs of the pods on each node that has an open node-agent stream, kept current by a watch of that
/// node's pods through the one <see cref="ResourceWatch"/> loop: a pod scheduled after the stream opened
/// may report as soon as the watch delivers its IP, and a pod gone from the node may not. A node's watch
/// starts with its first stream and stops with its last.
/// </summary>
public sealed class NodePods(IKubernetes client, ResourceWatch watch) : IDisposable
{
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);

    /// <summary>
    /// Follows the pods of <paramref name="node"/> until the returned lease is disposed; waits up to
    /// <paramref name="firstList"/> for the first list, so a stream's first reports are not refused for a
    /// watch still starting.
    /// </summary>
    public async Task<Lease> TrackAsync(string node, TimeSpan firstList, CancellationToken cancellationToken)
    {
        Node tracked;
        lock (_nodes)
        {
            if (!_nodes.TryGetValue(node, out tracked!))
            {
                tracked = _nodes[node] = new Node();
                tracked.Running = watch.RunAsync(Query(node, tracked), tracked.Stopping.Token);
            }

            tracked.Streams++;
        }

        var lease = new Lease(this, node, tracked);
        try
        {
            await tracked.Listed.Task.WaitAsync(firstList, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The API server is slow: reports are refused until the first list lands, then accepted.
        }
        catch (OperationCanceledException)
        {
            lease.Dispose();
            throw;
        }

        return lease;
    }

    public void Dispose()
    {
        lock (_nodes)
        {
            foreach (var node in _nodes.Values)
            {
                node.Stop();
            }

            _nodes.Clear();
        }
    }

    private ResourceQuery<V1Pod, IReadOnlyList<string>> Query(string node, Node tracked)
    {
        var selector = $"spec.nodeName={node}";
        return new ResourceQuery<V1Pod, IReadOnlyList<string>>(
            $"pods on node {node}",
            async ct =>
            {
                var list = await client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: selector, cancellationToken: ct).ConfigureAwait(false);
                return (list.Items, list.Metadata.ResourceVersion);
            },
            (resourceVersion, onError, ct) => client.CoreV1.WatchListPodForAllNamespacesAsync(
                allowWatchBookmarks: true, fieldSelector: selector, resourceVersion: resourceVersion, onError: onError, cancellationToken: ct),
            HostsOf,
            pods =>
            {
                tracked.Hosts = pods.SelectMany(h => h).ToHashSet(StringComparer.Ordinal);
                tracked.Listed.TrySetResult();
            },
            ControllerMetrics.NodePodEvents);
    }

    /// <summary>The canonical hosts of a pod that runs (or is about to); a finished pod's IP may already be another's.</summary>
    internal static IReadOnlyList<string> HostsOf(V1Pod pod)
    {
        if (pod.Status?.Phase is "Succeeded" or "Failed")
        {
            return [];
        }

        var ips = pod.Status?.PodIPs?.Select(p => p.Ip).ToList() ?? [];
        ips.Add(pod.Status?.PodIP ?? "");
        return [.. ips.Select(ip => EndpointAddress.TryParseHost(ip, out var host, out _, out _) ? host : null).OfType<string>().Distinct(StringComparer.Ordinal)];
    }

    private void Release(string name, Node node)
    {
        lock (_nodes)
        {
            if (--node.Streams == 0 && _nodes.Remove(name))
            {
                node.Stop();
            }
        }
    }

    /// <summary>One node's pods and the watch that keeps them.</summary>
    internal sealed class Node
    {
        private volatile IReadOnlySet<string> _hosts = new HashSet<string>();

        public CancellationTokenSource Stopping { get; } = new();

        public TaskCompletionSource Listed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Running { get; set; } = Task.CompletedTask;

        public int Streams { get; set; }

        public IReadOnlySet<string> Hosts
        {
            get => _hosts;
            set => _hosts = value;
        }

        public void Stop()
        {
            Stopping.Cancel();
            // The loop ends on its own once cancelled; its token source goes with it.
            _ = Running.ContinueWith(_ => Stopping.Dispose(), TaskScheduler.Default);
        }
    }

    /// <summary>A stream's hold on a node's pods: what it may report now, until disposed.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly NodePods _owner;
        private readonly string _name;
        private readonly Node _node;
        private int _disposed;

        internal Lease(NodePods owner, string name, Node node)
        {
            _owner = owner;
            _name = name;
            _node = node;
        }

        /// <summary>Whether a pod on the node has this canonical host now.</summary>
        public bool Runs(string host) => _node.Hosts.Contains(host);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _owner.Release(_name, _node);
            }
        }
    }
}
