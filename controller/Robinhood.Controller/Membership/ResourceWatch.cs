using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;
using Prometheus;
using Robinhood.V1;

namespace Robinhood.Controller.Membership;

/// <summary>What to list and watch, and what to do with it (one kind of object, one selector).</summary>
/// <param name="What">For logs, e.g. "EndpointSlices of checkout".</param>
/// <param name="List">Lists the objects; returns them and the list's resourceVersion.</param>
/// <param name="Watch">Watches from a resourceVersion; reports errors (410 Gone among them) to its callback.</param>
/// <param name="Apply">Receives every object's projection after each change: level-based, never an edge.</param>
/// <param name="Events">Counts lists, events, relists and errors by kind.</param>
public sealed record ResourceQuery<TObject, TValue>(
    string What,
    Func<CancellationToken, Task<(IList<TObject> Items, string ResourceVersion)>> List,
    Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, TObject Object)>> Watch,
    Func<TObject, TValue> Project,
    Action<IReadOnlyCollection<TValue>> Apply,
    Counter Events)
    where TObject : IKubernetesObject<V1ObjectMeta>;

/// <summary>
/// The one list/watch loop of the controller (EndpointSlice membership and node agents' pods): lists, then
/// watches from the list's resourceVersion (bookmarks keep it fresh), relists on 410 Gone, and backs off
/// with jitter on errors (<see cref="Backoff"/> from 1 s, up to <c>Robinhood:Kubernetes:MaxBackoff</c>).
/// </summary>
public sealed partial class ResourceWatch(IOptions<KubernetesOptions> options, TimeProvider time, Random random, ILogger<ResourceWatch> logger)
{
    /// <summary>Runs until <paramref name="stoppingToken"/> is cancelled.</summary>
    public async Task RunAsync<TObject, TValue>(ResourceQuery<TObject, TValue> query, CancellationToken stoppingToken)
        where TObject : IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(query);
        var objects = new Dictionary<(string? Namespace, string Name), TValue>();
        string? resourceVersion = null;
        var backoff = new Backoff(TimeSpan.FromSeconds(1), options.Value.MaxBackoff, random);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    var (items, version) = await query.List(stoppingToken).ConfigureAwait(false);
                    objects.Clear();
                    foreach (var item in items)
                    {
                        objects[Key(item)] = query.Project(item);
                    }

                    resourceVersion = version;
                    query.Events.WithLabels("list").Inc();
                    query.Apply(objects.Values);
                }

                var gone = false;
                var events = query.Watch(resourceVersion, e => gone |= e is KubernetesException { Status.Code: (int)HttpStatusCode.Gone }, stoppingToken);
                await foreach (var (type, item) in events.ConfigureAwait(false))
                {
                    backoff.Reset();
                    query.Events.WithLabels(type.ToString().ToLowerInvariant()).Inc();
                    resourceVersion = item.Metadata?.ResourceVersion ?? resourceVersion;
                    if (type is WatchEventType.Added or WatchEventType.Modified)
                    {
                        objects[Key(item)] = query.Project(item);
                    }
                    else if (type is WatchEventType.Deleted)
                    {
                        objects.Remove(Key(item));
                    }
                    else
                    {
                        continue;
                    }

                    query.Apply(objects.Values);
                }

                if (gone)
                {
                    // Our resourceVersion is too old for a watch: start over from a fresh list.
                    LogRelist(query.What);
                    query.Events.WithLabels("gone").Inc();
                    resourceVersion = null;
                }
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Gone)
            {
                LogRelist(query.What);
                resourceVersion = null;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                var delay = backoff.Next();
                query.Events.WithLabels("error").Inc();
                LogWatchFailed(e, query.What, delay);
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private static (string?, string) Key<TObject>(TObject item)
        where TObject : IKubernetesObject<V1ObjectMeta> => (item.Metadata?.NamespaceProperty, item.Metadata?.Name ?? "");

    [LoggerMessage(Level = LogLevel.Information, Message = "{What}: resourceVersion expired, relisting")]
    private partial void LogRelist(string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch of {What} failed; retrying in {Backoff}")]
    private partial void LogWatchFailed(Exception exception, string what, TimeSpan backoff);
}
