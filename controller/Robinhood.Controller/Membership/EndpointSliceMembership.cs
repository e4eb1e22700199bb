using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;
using Robinhood.Controller.Control;
using Robinhood.Controller.Hosting;
using Robinhood.Controller.Leadership;
using Robinhood.V1;

namespace Robinhood.Controller.Membership;

/// <summary>
/// Membership from Kubernetes: lists and watches the EndpointSlices of each configured Service (label
/// <c>kubernetes.io/service-name</c>), resuming from the last resourceVersion (bookmarks keep it fresh),
/// relisting on 410 Gone, backing off with jitter on errors. A ready endpoint (address:port) joins its
/// service with a safe default share until it reports; one that disappears drains.
/// </summary>
public sealed partial class EndpointSliceMembership(
    IKubernetes client,
    IOptions<KubernetesOptions> options,
    ServiceMembers members,
    Fleet fleet,
    LeaderRole role,
    TimeProvider time,
    Random random,
    ILogger<EndpointSliceMembership> logger) : BackgroundService
{
    private const string ServiceLabel = "kubernetes.io/service-name";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A new leader's restored state predates the latest membership: apply it again.
        role.Changed += leading =>
        {
            if (leading)
            {
                ReapplyAll();
            }
        };
        var o = options.Value;
        return Task.WhenAll(o.Services.Distinct(StringComparer.Ordinal).Select(entry =>
            KubernetesService.TryParse(entry, o.Namespace, out var service)
                ? WatchAsync(service, stoppingToken)
                : throw new InvalidOperationException($"{KubernetesOptions.Section}:Services entry '{entry}' passed validation but does not parse")));
    }

    private async Task WatchAsync(KubernetesService kubernetesService, CancellationToken stoppingToken)
    {
        var service = kubernetesService.Service;
        var ns = kubernetesService.Namespace;
        var selector = $"{ServiceLabel}={kubernetesService.Name}";
        var slices = new Dictionary<string, IReadOnlyList<Member>>(StringComparer.Ordinal);
        string? resourceVersion = null;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    var list = await client.DiscoveryV1.ListNamespacedEndpointSliceAsync(
                        ns, labelSelector: selector, cancellationToken: stoppingToken).ConfigureAwait(false);
                    slices.Clear();
                    foreach (var slice in list.Items)
                    {
                        slices[slice.Metadata.Name] = MembersOf(slice);
                    }

                    resourceVersion = list.Metadata.ResourceVersion;
                    ControllerMetrics.MembershipEvents.WithLabels("list").Inc();
                    Reconcile(service, slices);
                }

                var gone = false;
                var events = client.DiscoveryV1.WatchListNamespacedEndpointSliceAsync(
                    ns, allowWatchBookmarks: true, labelSelector: selector, resourceVersion: resourceVersion,
                    onError: e => gone |= e is KubernetesException { Status.Code: (int)HttpStatusCode.Gone },
                    cancellationToken: stoppingToken);
                await foreach (var (type, slice) in events.ConfigureAwait(false))
                {
                    failures = 0;
                    ControllerMetrics.MembershipEvents.WithLabels(type.ToString().ToLowerInvariant()).Inc();
                    resourceVersion = slice.Metadata?.ResourceVersion ?? resourceVersion;
                    if (type is WatchEventType.Added or WatchEventType.Modified)
                    {
                        slices[slice.Metadata!.Name] = MembersOf(slice);
                    }
                    else if (type is WatchEventType.Deleted)
                    {
                        slices.Remove(slice.Metadata!.Name);
                    }
                    else
                    {
                        continue;
                    }

                    Reconcile(service, slices);
                }

                if (gone)
                {
                    // Our resourceVersion is too old for a watch: start over from a fresh list.
                    LogRelist(service);
                    ControllerMetrics.MembershipEvents.WithLabels("gone").Inc();
                    resourceVersion = null;
                }
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Gone)
            {
                LogRelist(service);
                resourceVersion = null;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                failures++;
                var backoff = RetryBackoff.After(failures, options.Value.MaxBackoff, random);
                ControllerMetrics.MembershipEvents.WithLabels("error").Inc();
                LogWatchFailed(e, service, backoff);
                await Task.Delay(backoff, time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private void Reconcile(string service, Dictionary<string, IReadOnlyList<Member>> slices)
    {
        var now = slices.Values.SelectMany(m => m).ToHashSet();
        var before = members.Replace(service, now);

        foreach (var m in now.Except(before))
        {
            fleet.Join(service, m.Endpoint, m.Zone);
        }

        var present = now.Select(m => m.Endpoint).ToHashSet(StringComparer.Ordinal);
        foreach (var m in before.Where(m => !present.Contains(m.Endpoint)))
        {
            fleet.Leave(service, m.Endpoint);
        }
    }

    private void ReapplyAll()
    {
        foreach (var (service, current) in members.All())
        {
            var present = current.Select(m => m.Endpoint).ToHashSet(StringComparer.Ordinal);
            foreach (var m in current)
            {
                fleet.Join(service, m.Endpoint, m.Zone);
            }

            foreach (var e in fleet.Capture(service)?.Endpoints ?? [])
            {
                if (!e.Left && !e.SelfRegistered && !present.Contains(e.Endpoint))
                {
                    fleet.Leave(service, e.Endpoint);
                }
            }
        }
    }

    /// <summary>The ready endpoints of a slice, as the canonical host:port clients dial (the slice's first port).</summary>
    internal static IReadOnlyList<Member> MembersOf(V1EndpointSlice slice)
    {
        if (slice.Ports is not { Count: > 0 } ports || ports[0].Port is not { } port)
        {
            return [];
        }

        var members = new List<Member>();
        foreach (var endpoint in slice.Endpoints ?? [])
        {
            if (endpoint.Conditions?.Ready == false)
            {
                continue;
            }

            foreach (var address in endpoint.Addresses ?? [])
            {
                if (EndpointAddress.TryCreate(address, port, out var member))
                {
                    members.Add(new Member(member.Value, endpoint.Zone ?? ""));
                }
            }
        }

        return members;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "EndpointSlices of {Service}: resourceVersion expired, relisting")]
    private partial void LogRelist(string service);

    [LoggerMessage(Level = LogLevel.Warning, Message = "EndpointSlice watch of {Service} failed; retrying in {Backoff}")]
    private partial void LogWatchFailed(Exception exception, string service, TimeSpan backoff);
}
