using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Robinhood.Controller.Tests.Kubernetes;

/// <summary>
/// An in-process stand-in for the Kubernetes API server on loopback Kestrel, speaking the API's real
/// JSON for what the controller uses: Leases (resourceVersion optimistic concurrency, 409 Conflict),
/// EndpointSlices (list, and watch as chunked JSON lines with bookmarks and 410 Gone for a
/// compacted resourceVersion), TokenReviews and Pods (get, and list and watch by spec.nodeName).
/// </summary>
public sealed class FakeKubernetesApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly object _gate = new();
    private readonly Dictionary<(string Ns, string Name), V1Lease> _leases = [];
    private readonly Dictionary<(string Ns, string Name), V1EndpointSlice> _slices = [];
    private readonly List<(long Version, string Type, V1EndpointSlice Slice)> _sliceEvents = [];
    private readonly ConcurrentDictionary<string, V1TokenReviewStatus> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Ns, string Name), V1Pod> _pods = [];
    private readonly List<(long Version, string Type, V1Pod Pod)> _podEvents = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version = 100;
    private long _compactedBefore;

    private FakeKubernetesApiServer(WebApplication app, string host)
    {
        _app = app;
        Host = host;
    }

    /// <summary>Where KubernetesClient connects (<c>Robinhood:Kubernetes:Host</c>).</summary>
    public string Host { get; }

    private int _tokenReviews;

    /// <summary>TokenReviews answered so far.</summary>
    public int TokenReviews => Volatile.Read(ref _tokenReviews);

    public static async Task<FakeKubernetesApiServer> StartAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var builder = WebApplication.CreateSlimBuilder();
        // Not the appsettings.json beside the tests (the controller's Kestrel endpoints).
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeKubernetesApiServer(app, $"http://127.0.0.1:{port}");
        server.Map(app);
        await app.StartAsync();
        return server;
    }

    /// <summary>How long every Lease request waits before it is served (a loaded API server); none by default.</summary>
    public TimeSpan LeaseLatency { get; set; }

    /// <summary>The Lease as stored, or null.</summary>
    public V1Lease? Lease(string ns, string name)
    {
        lock (_gate)
        {
            return _leases.GetValueOrDefault((ns, name));
        }
    }

    /// <summary>Creates or replaces an EndpointSlice (a watch event ADDED or MODIFIED).</summary>
    public void PutEndpointSlice(V1EndpointSlice slice)
    {
        lock (_gate)
        {
            var key = (slice.Metadata.NamespaceProperty, slice.Metadata.Name);
            var type = _slices.ContainsKey(key) ? "MODIFIED" : "ADDED";
            slice.Metadata.ResourceVersion = Next();
            _slices[key] = slice;
            _sliceEvents.Add((_version, type, slice));
        }

        Signal();
    }

    /// <summary>Deletes an EndpointSlice (a watch event DELETED).</summary>
    public void DeleteEndpointSlice(string ns, string name)
    {
        lock (_gate)
        {
            if (_slices.Remove((ns, name), out var slice))
            {
                slice.Metadata.ResourceVersion = Next();
                _sliceEvents.Add((_version, "DELETED", slice));
            }
        }

        Signal();
    }

    /// <summary>Forgets history: a watch from an older resourceVersion now gets 410 Gone, and open watches end.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _compactedBefore = _version + 1;
            Next();
        }

        Signal();
    }

    /// <summary>A controller replica's arguments for membership and a Lease on this server, with leadership timings fit for tests.</summary>
    public string[] ControllerArgs(string ns, string identity) => ControllerArgs(Host, ns, identity);

    /// <summary>As <see cref="ControllerArgs(string, string)"/>, for a server at <paramref name="host"/> in another process.</summary>
    public static string[] ControllerArgs(string host, string ns, string identity) =>
    [
        "--Robinhood:Kubernetes:Enabled=true",
        $"--Robinhood:Kubernetes:Host={host}",
        $"--Robinhood:Kubernetes:Namespace={ns}",
        $"--Robinhood:Leadership:Identity={identity}",
        "--Robinhood:Leadership:LeaseDuration=00:00:03",
        "--Robinhood:Leadership:RenewDeadline=00:00:02",
        "--Robinhood:Leadership:RetryPeriod=00:00:00.500",
    ];

    /// <summary>What a TokenReview of this token answers.</summary>
    public void SetToken(string token, V1TokenReviewStatus status) => _tokens[token] = status;

    /// <summary>Creates or replaces a Pod (a watch event ADDED or MODIFIED).</summary>
    public void PutPod(V1Pod pod)
    {
        lock (_gate)
        {
            var key = (pod.Metadata.NamespaceProperty, pod.Metadata.Name);
            var type = _pods.ContainsKey(key) ? "MODIFIED" : "ADDED";
            pod.Metadata.ResourceVersion = Next();
            _pods[key] = pod;
            _podEvents.Add((_version, type, pod));
        }

        Signal();
    }

    /// <summary>Deletes a Pod (a watch event DELETED).</summary>
    public void DeletePod(string ns, string name)
    {
        lock (_gate)
        {
            if (_pods.Remove((ns, name), out var pod))
            {
                pod.Metadata.ResourceVersion = Next();
                _podEvents.Add((_version, "DELETED", pod));
            }
        }

        Signal();
    }

    /// <summary>A slice of one Service with ready endpoints on one port.</summary>
    public static V1EndpointSlice Slice(string ns, string name, string service, int port, params (string Ip, string Zone)[] endpoints) => new()
    {
        ApiVersion = "discovery.k8s.io/v1",
        Kind = "EndpointSlice",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service } },
        AddressType = "IPv4",
        Ports = [new Discoveryv1EndpointPort { Name = "grpc", Port = port, Protocol = "TCP" }],
        Endpoints = endpoints.Select(e => new V1Endpoint { Addresses = [e.Ip], Zone = e.Zone, Conditions = new V1EndpointConditions { Ready = true } }).ToList(),
    };

    private void Map(WebApplication app)
    {
        // A handler's failure answers 500 with the exception, so the client's error names it.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                context.Response.StatusCode = 500;
                await context.Response.WriteAsync(e.ToString());
            }
        });
        app.Use(async (context, next) =>
        {
            if (LeaseLatency > TimeSpan.Zero && context.Request.Path.Value?.Contains("/leases", StringComparison.Ordinal) == true)
            {
                await Task.Delay(LeaseLatency);
            }

            await next(context);
        });
        app.MapGet("/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}", (string ns, string name) =>
        {
            lock (_gate)
            {
                return _leases.TryGetValue((ns, name), out var lease) ? Json(lease) : Status(404, "NotFound", $"leases \"{name}\" not found");
            }
        });
        app.MapPost("/apis/coordination.k8s.io/v1/namespaces/{ns}/leases", async (string ns, HttpRequest request) =>
        {
            var lease = await ReadAsync<V1Lease>(request);
            lock (_gate)
            {
                var key = (ns, lease.Metadata.Name);
                if (_leases.ContainsKey(key))
                {
                    return Status(409, "AlreadyExists", $"leases \"{lease.Metadata.Name}\" already exists");
                }

                lease.Metadata.NamespaceProperty = ns;
                lease.Metadata.ResourceVersion = Next();
                _leases[key] = lease;
                return Json(lease, 201);
            }
        });
        app.MapPut("/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}", async (string ns, string name, HttpRequest request) =>
        {
            var lease = await ReadAsync<V1Lease>(request);
            lock (_gate)
            {
                if (!_leases.TryGetValue((ns, name), out var stored))
                {
                    return Status(404, "NotFound", $"leases \"{name}\" not found");
                }

                if (lease.Metadata.ResourceVersion != stored.Metadata.ResourceVersion)
                {
                    return Status(409, "Conflict", $"Operation cannot be fulfilled on leases.coordination.k8s.io \"{name}\": the object has been modified; please apply your changes to the latest version and try again");
                }

                lease.Metadata.ResourceVersion = Next();
                _leases[(ns, name)] = lease;
                return Json(lease);
            }
        });
        app.MapGet("/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", (string ns, HttpContext context) =>
            ListOrWatchSlicesAsync(ns, context));
        app.MapPost("/apis/authentication.k8s.io/v1/tokenreviews", async (HttpRequest request) =>
        {
            var review = await ReadAsync<V1TokenReview>(request);
            Interlocked.Increment(ref _tokenReviews);
            var status = _tokens.GetValueOrDefault(review.Spec.Token) ?? new V1TokenReviewStatus { Authenticated = false, Error = "token not found" };
            review.Status = status.Authenticated == true && status.Audiences is { } audiences
                ? new V1TokenReviewStatus
                {
                    Authenticated = review.Spec.Audiences is null || audiences.Intersect(review.Spec.Audiences).Any(),
                    Audiences = review.Spec.Audiences is null ? audiences : audiences.Intersect(review.Spec.Audiences).ToList(),
                    User = status.User,
                    Error = audiences.Intersect(review.Spec.Audiences ?? audiences).Any() ? null : "token audiences are invalid",
                }
                : status;
            return Json(review, 201);
        });
        app.MapGet("/api/v1/namespaces/{ns}/pods/{name}", (string ns, string name) =>
        {
            lock (_gate)
            {
                return _pods.TryGetValue((ns, name), out var pod) ? Json(pod) : Status(404, "NotFound", $"pods \"{name}\" not found");
            }
        });
        app.MapGet("/api/v1/pods", ListOrWatchPodsAsync);
    }

    private async Task ListOrWatchPodsAsync(HttpContext context)
    {
        var node = context.Request.Query["fieldSelector"].ToString().Replace("spec.nodeName=", "", StringComparison.Ordinal);
        bool Matches(V1Pod p) => p.Spec?.NodeName == node;
        if (context.Request.Query["watch"] is not { Count: > 0 } watch || watch[0] is not ("1" or "true"))
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

            await Json(list).ExecuteAsync(context);
            return;
        }

        await StreamEventsAsync(context, from => _podEvents.Where(e => e.Version > from && Matches(e.Pod)).Select(e => (e.Type, (object)e.Pod)).ToList(),
            version => new V1Pod { ApiVersion = "v1", Kind = "Pod", Metadata = new V1ObjectMeta { ResourceVersion = version } });
    }

    private async Task ListOrWatchSlicesAsync(string ns, HttpContext context)
    {
        var query = context.Request.Query;
        var selector = query["labelSelector"].ToString();
        bool Matches(V1EndpointSlice s) => s.Metadata.NamespaceProperty == ns
            && (selector.Length == 0 || selector.Split(',').All(term =>
            {
                var kv = term.Split('=', 2);
                return s.Metadata.Labels is { } labels && labels.TryGetValue(kv[0], out var v) && v == kv[1];
            }));

        if (query["watch"] is not { Count: > 0 } watch || watch[0] is not ("1" or "true"))
        {
            V1EndpointSliceList list;
            lock (_gate)
            {
                list = new V1EndpointSliceList
                {
                    ApiVersion = "discovery.k8s.io/v1",
                    Kind = "EndpointSliceList",
                    Metadata = new V1ListMeta { ResourceVersion = _version.ToString(CultureInfo.InvariantCulture) },
                    Items = _slices.Values.Where(Matches).ToList(),
                };
            }

            await Json(list).ExecuteAsync(context);
            return;
        }

        await StreamEventsAsync(context, from => _sliceEvents.Where(e => e.Version > from && Matches(e.Slice)).Select(e => (e.Type, (object)e.Slice)).ToList(),
            version => new V1EndpointSlice { ApiVersion = "discovery.k8s.io/v1", Kind = "EndpointSlice", Metadata = new V1ObjectMeta { ResourceVersion = version } });
    }

    /// <summary>A watch: the events after the request's resourceVersion as JSON lines, a bookmark each second, 410 Gone once compacted.</summary>
    private async Task StreamEventsAsync(HttpContext context, Func<long, List<(string Type, object Item)>> eventsAfter, Func<string, object> bookmark)
    {
        var query = context.Request.Query;
        var from = long.Parse(query["resourceVersion"].ToString() is { Length: > 0 } rv ? rv : "0", CultureInfo.InvariantCulture);
        var bookmarks = query["allowWatchBookmarks"] is { Count: > 0 } b && b[0] is "true" or "1";
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(context.RequestAborted);
        while (!context.RequestAborted.IsCancellationRequested)
        {
            Task changed;
            List<(string Type, object Item)> pending;
            bool gone;
            lock (_gate)
            {
                changed = _changed.Task;
                gone = from < _compactedBefore;
                pending = eventsAfter(from);
                from = _version;
            }

            if (gone)
            {
                await WriteEventAsync(context, "ERROR", StatusObject(410, "Expired", "too old resource version"));
                return;
            }

            foreach (var (type, item) in pending)
            {
                await WriteEventAsync(context, type, item);
            }

            if (bookmarks)
            {
                await WriteEventAsync(context, "BOOKMARK", bookmark(from.ToString(CultureInfo.InvariantCulture)));
            }

            try
            {
                await changed.WaitAsync(TimeSpan.FromSeconds(1), context.RequestAborted);
            }
            catch (TimeoutException)
            {
                // A bookmark each second while nothing changes.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task WriteEventAsync(HttpContext context, string type, object item)
    {
        var line = KubernetesJson.Serialize(new Dictionary<string, object> { ["type"] = type, ["object"] = item }) + "\n";
        await context.Response.WriteAsync(line, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private string Next() => (++_version).ToString(CultureInfo.InvariantCulture);

    private void Signal() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).SetResult();

    private static async Task<T> ReadAsync<T>(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        return KubernetesJson.Deserialize<T>(await reader.ReadToEndAsync());
    }

    private static IResult Json(object value, int status = 200) =>
        Results.Text(KubernetesJson.Serialize(value), "application/json", statusCode: status);

    private static IResult Status(int code, string reason, string message) => Json(StatusObject(code, reason, message), code);

    /// <summary>A metav1 Status as the API server writes it (KubernetesClient's V1Status converter only reads).</summary>
    private static Dictionary<string, object> StatusObject(int code, string reason, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new Dictionary<string, object>(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
