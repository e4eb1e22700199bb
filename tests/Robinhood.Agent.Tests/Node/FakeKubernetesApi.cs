using System.Collections.Concurrent;
using System.Globalization;
using k8s;
using k8s.Models;

namespace Robinhood.Agent.Tests.Node;

/// <summary>
/// An in-process stand-in for the Kubernetes API server on loopback Kestrel for what the node agent uses:
/// <c>GET /api/v1/pods</c> with <c>spec.nodeName</c> field and label selectors, answering a real PodList, and with
/// <c>watch</c> a chunked stream of JSON-line watch events (<c>{"type":..,"object":..}</c>) from a resourceVersion.
/// </summary>
internal sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, V1Pod> _pods = new(StringComparer.Ordinal);
    private readonly List<(long Version, string Type, V1Pod Pod)> _events = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version = 100;
    private WebApplication? _app;

    /// <summary>The query strings of pod requests, in order.</summary>
    public ConcurrentQueue<string> Queries { get; } = new();

    /// <summary>Watch requests answered so far.</summary>
    public int Watches => Volatile.Read(ref _watches);

    private int _watches;

    public string Host => _app!.Address().ToString().TrimEnd('/');

    public static async Task<FakeKubernetesApi> StartAsync()
    {
        var api = new FakeKubernetesApi();
        api._app = await LoopbackServer.StartAsync(_ => { }, app => app.MapGet("/api/v1/pods", api.ListOrWatchAsync));
        return api;
    }

    /// <summary>Creates or replaces a pod (a watch event ADDED or MODIFIED).</summary>
    public void PutPod(V1Pod pod)
    {
        lock (_gate)
        {
            var type = _pods.ContainsKey(pod.Metadata.Uid) ? "MODIFIED" : "ADDED";
            pod.Metadata.ResourceVersion = (++_version).ToString(CultureInfo.InvariantCulture);
            _pods[pod.Metadata.Uid] = pod;
            _events.Add((_version, type, pod));
            Signal();
        }
    }

    /// <summary>Deletes a pod (a watch event DELETED).</summary>
    public void DeletePod(string uid)
    {
        lock (_gate)
        {
            if (_pods.Remove(uid, out var pod))
            {
                pod.Metadata.ResourceVersion = (++_version).ToString(CultureInfo.InvariantCulture);
                _events.Add((_version, "DELETED", pod));
                Signal();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _changed.TrySetCanceled();
        }

        await _app!.DisposeAsync();
    }

    private async Task ListOrWatchAsync(HttpContext context)
    {
        var query = context.Request.Query;
        Queries.Enqueue(context.Request.QueryString.Value ?? "");
        var node = query["fieldSelector"].ToString() is var field && field.StartsWith("spec.nodeName=", StringComparison.Ordinal)
            ? field["spec.nodeName=".Length..]
            : null;
        var selector = query["labelSelector"].ToString();
        bool Matches(V1Pod pod) => (node is null || pod.Spec?.NodeName == node) && MatchesLabels(pod, selector);

        if (query["watch"].ToString() is not ("1" or "true"))
        {
            V1PodList list;
            lock (_gate)
            {
                list = new V1PodList
                {
                    ApiVersion = "v1",
                    Kind = "PodList",
                    Metadata = new V1ListMeta { ResourceVersion = _version.ToString(CultureInfo.InvariantCulture) },
                    Items = _pods.Values.Where(Matches).ToList(),
                };
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(KubernetesJson.Serialize(list), context.RequestAborted);
            return;
        }

        Interlocked.Increment(ref _watches);
        var from = long.Parse(query["resourceVersion"].ToString() is { Length: > 0 } rv ? rv : "0", CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(context.RequestAborted);
        try
        {
            while (!context.RequestAborted.IsCancellationRequested)
            {
                List<(long Version, string Type, V1Pod Pod)> pending;
                Task changed;
                lock (_gate)
                {
                    pending = _events.Where(e => e.Version > from && Matches(e.Pod)).ToList();
                    changed = _changed.Task;
                }

                foreach (var (version, type, pod) in pending)
                {
                    await context.Response.WriteAsync($"{{\"type\":\"{type}\",\"object\":{KubernetesJson.Serialize(pod)}}}\n", context.RequestAborted);
                    from = version;
                }

                await context.Response.Body.FlushAsync(context.RequestAborted);
                await changed.WaitAsync(context.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The agent stopped watching, or the server is shutting down.
        }
    }

    // Equality (key=value) and existence (key) terms, as the agent sends them.
    private static bool MatchesLabels(V1Pod pod, string selector) => selector.Length == 0 || selector.Split(',').All(term =>
    {
        var kv = term.Split('=', 2);
        return pod.Metadata.Labels is { } labels && labels.TryGetValue(kv[0], out var value) && (kv.Length == 1 || value == kv[1]);
    });

    private void Signal()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }
}
