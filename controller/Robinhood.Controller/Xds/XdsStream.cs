using Grpc.Core;
using Robinhood.Controller.Publish;
using Robinhood.V1;

namespace Robinhood.Controller.Xds;

/// <summary>
/// One xDS stream: requests change what it subscribes to, the <see cref="SnapshotCache"/> changes what
/// it holds, and one writer sends what differs from what the client was sent, newest state only. A client
/// that reads slowly is sent the state of the moment it is ready again, never a backlog, and it never
/// holds up the control loop (the cache only rings this stream's doorbell).
/// </summary>
internal abstract partial class XdsStream<TRequest, TResponse, TState>(SnapshotCache cache, XdsOptions options, TimeProvider time, string api, IReadOnlySet<string> types, ILogger logger) : IDisposable
    where TState : XdsSubscription, new()
{
    // Order of responses on an aggregated stream: a cluster before its endpoints, so a client never waits
    // on endpoints of a cluster it does not know yet.
    protected static readonly string[] TypeOrder = [XdsResources.ClusterType, XdsResources.EndpointType, XdsResources.ListenerType];

    private readonly SnapshotWatcher _watcher = cache.Watch([]);
    private readonly HashSet<string> _watched = new(StringComparer.Ordinal);
    private long _nonce;

    protected SnapshotCache Cache { get; } = cache;

    /// <summary>What the client subscribes to and holds, per type URL it asked for.</summary>
    protected Dictionary<string, TState> Types { get; } = new(StringComparer.Ordinal);

    protected XdsOptions Options { get; } = options;

    /// <summary>ads or eds: which service the stream came in on, for logs and metrics.</summary>
    protected string Api { get; } = api;

    /// <summary>Guards the subscription state, shared by the request reader and the writer.</summary>
    protected object Gate { get; } = new();

    /// <summary>The client's node id, from its first request that has one.</summary>
    protected string NodeId { get; private set; } = "";

    /// <summary>Serves the stream until the client ends it or goes away; a refused request ends it with its reason.</summary>
    public async Task RunAsync(IAsyncStreamReader<TRequest> requests, IServerStreamWriter<TResponse> responses, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writing = WriteAsync(responses, stop);
        try
        {
            while (await requests.MoveNext(stop.Token).ConfigureAwait(false))
            {
                lock (Gate)
                {
                    Apply(requests.Current);
                }

                _watcher.Wake();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The client went away, the writer failed, or the controller is stopping.
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Quietly(writing).ConfigureAwait(false);
        }
    }

    /// <summary>Takes in one request (under <see cref="Gate"/>); throws an RpcException to refuse it and end the stream.</summary>
    protected abstract void Apply(TRequest request);

    /// <summary>The response due now for one type, recorded as sent (under <see cref="Gate"/>); null when the client holds it all.</summary>
    protected abstract Outgoing? Due(string typeUrl, TState state);

    /// <summary>The responses due now, in <see cref="TypeOrder"/>.</summary>
    private List<Outgoing> Due()
    {
        var due = new List<Outgoing>();
        foreach (var typeUrl in TypeOrder)
        {
            if (Types.TryGetValue(typeUrl, out var state) && Due(typeUrl, state) is { } outgoing)
            {
                due.Add(outgoing);
            }
        }

        return due;
    }

    /// <summary>
    /// The type a request is for, or null (logged) when this service does not serve it. Notes the client's
    /// node. A standalone EDS stream may leave the type out: it has one.
    /// </summary>
    protected string? TypeOf(string typeUrl, Envoy.Config.Core.V3.Node? node)
    {
        if (node is { Id.Length: > 0 } && NodeId.Length == 0)
        {
            NodeId = Cut(node.Id);
        }

        var resolved = typeUrl.Length == 0 && types.Count == 1 ? types.First() : typeUrl;
        if (types.Contains(resolved))
        {
            return resolved;
        }

        LogUnservedType(logger, Api, NodeId, Cut(typeUrl));
        return null;
    }

    /// <summary>A NACK: counted and logged; the caller changes nothing for it.</summary>
    protected void Nack(string typeUrl, string version, string nonce, string error)
    {
        ControllerMetrics.XdsNacks.WithLabels(Api, XdsResources.Kind(typeUrl)).Inc();
        LogNack(logger, Api, NodeId, typeUrl, Cut(version), Cut(nonce), Cut(error));
    }

    /// <summary>The stream's next nonce: unique per response on this stream.</summary>
    protected string NextNonce() => (++_nonce).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The names a request subscribes to that are Robinhood services; others (xdstp:// names, malformed
    /// ones) have no resource here and are left out, so the client sees them as not existing.
    /// </summary>
    protected static bool IsServiceName(string name) => ServiceName.IsValid(name);

    /// <summary>Refuses a subscription over the per-type limit, naming the field, the limit and the count.</summary>
    protected void CheckLimit(string field, string typeUrl, int count)
    {
        if (count > Options.MaxNamesPerType)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"{field}: at most {Options.MaxNamesPerType} names per type (Robinhood:Xds:MaxNamesPerType), got {count} for {typeUrl}"));
        }
    }

    /// <summary>The snapshot behind each resource a client should hold now: its named services, and every service when wildcard.</summary>
    protected Dictionary<string, WeightSnapshot> Current(TState state)
    {
        var snapshots = new Dictionary<string, WeightSnapshot>(StringComparer.Ordinal);
        foreach (var name in state.Names)
        {
            snapshots[name] = Cache.Get(name);
        }

        if (state.Wildcard)
        {
            foreach (var name in Cache.Services)
            {
                snapshots[name] = Cache.Get(name);
            }
        }

        return snapshots;
    }

    /// <summary>Makes the cache wake this stream for exactly the services it subscribes to by name (and every service once any type is wildcard).</summary>
    protected void Follow()
    {
        var wanted = Types.Values.SelectMany(t => t.Names).ToHashSet(StringComparer.Ordinal);
        var wildcard = Types.Values.Any(t => t.Wildcard);
        _watcher.Unsubscribe(_watched.Where(s => !wanted.Contains(s)).ToList());
        if (!_watcher.Subscribe(wanted.Where(s => !_watched.Contains(s)).ToList()))
        {
            ControllerMetrics.WatchesRefused.WithLabels(RefusalReason.WatchLimit.Label()).Inc();
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                "resource_names: the controller's watchers hold as many services as allowed (Robinhood:Limits:MaxWatchSubscriptions)"));
        }

        _watched.Clear();
        _watched.UnionWith(wanted);
        if (wildcard)
        {
            _watcher.SubscribeAll();
        }
    }

    private async Task WriteAsync(IServerStreamWriter<TResponse> responses, CancellationTokenSource stop)
    {
        try
        {
            while (true)
            {
                // Woken by a request or by the cache; the state is read afresh, so wakes collapse.
                await _watcher.WaitAsync(stop.Token).ConfigureAwait(false);
                IReadOnlyList<Outgoing> due;
                lock (Gate)
                {
                    due = Due();
                }

                foreach (var outgoing in due)
                {
                    await responses.WriteAsync(outgoing.Response, stop.Token).ConfigureAwait(false);
                    ControllerMetrics.XdsResponses.WithLabels(Api, XdsResources.Kind(outgoing.TypeUrl)).Inc();
                    if (outgoing.Pushed is { } computed)
                    {
                        ControllerMetrics.XdsPushLatency.Observe(Math.Max(0, (time.GetUtcNow() - computed.ToDateTimeOffset()).TotalSeconds));
                    }
                }
            }
        }
        finally
        {
            // A failed write ends the stream: the reader must not wait on a client nobody answers.
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A response and what it carries for metrics.</summary>
    /// <param name="Pushed">Set when it brings a client a newer version of a resource it had: the oldest such snapshot's computed_at.</param>
    protected readonly record struct Outgoing(TResponse Response, string TypeUrl, Google.Protobuf.WellKnownTypes.Timestamp? Pushed);

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException or RpcException)
        {
            // The stream is over; how its other half ended is the call's status, not this task's.
        }
    }

    /// <summary>Client text in a log line or a refusal, cut to 256 characters.</summary>
    protected static string Cut(string text) => text.Length <= 256 ? text : text[..256];

    public void Dispose() => _watcher.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "xDS {Api} NACK from node {Node} for {TypeUrl} (holds version {Version}, refused nonce {Nonce}): {Error}")]
    private static partial void LogNack(ILogger logger, string api, string node, string typeUrl, string version, string nonce, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "xDS {Api} request from node {Node} for a type not served here: {TypeUrl}")]
    private static partial void LogUnservedType(ILogger logger, string api, string node, string typeUrl);
}

/// <summary>One type URL's subscription on a stream: every service (wildcard) and named ones.</summary>
internal class XdsSubscription
{
    public bool Wildcard { get; set; }

    public HashSet<string> Names { get; set; } = new(StringComparer.Ordinal);
}
