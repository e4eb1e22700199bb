using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;
using Robinhood.Controller.Control;
using Robinhood.Controller.Leadership;
using Robinhood.V1;

namespace Robinhood.Controller.Membership;

/// <summary>
/// Membership from Kubernetes: lists and watches the EndpointSlices of each configured Service (label
/// <c>kubernetes.io/service-name</c>) through the one <see cref="ResourceWatch"/> loop, on every replica (each
/// checks reports against it). For the services of the shards this replica owns, the fleet is reconciled to it,
/// level-based: every ready endpoint (address:port) is a member (joining with a safe default share until it
/// reports), every endpoint membership once listed and no longer does drains. The same reconcile runs when a
/// shard is taken, since its restored state predates the latest membership.
/// </summary>
public sealed class EndpointSliceMembership(
    IKubernetes client,
    IOptions<KubernetesOptions> options,
    ServiceMembers members,
    Fleet fleet,
    ShardMap map,
    ResourceWatch watch) : BackgroundService, IShardWork
{
    private const string ServiceLabel = "kubernetes.io/service-name";
    private readonly ConcurrentDictionary<int, byte> _owned = new();

    public void Start(OwnedShard shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        _owned[shard.Shard] = 0;
        foreach (var (service, _) in members.All())
        {
            if (map.Of(service) == shard.Shard)
            {
                Reconcile(service);
            }
        }
    }

    public void Stop(int shard) => _owned.TryRemove(shard, out _);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        return Task.WhenAll(o.Services.Distinct(StringComparer.Ordinal).Select(entry =>
            KubernetesService.TryParse(entry, o.Namespace, out var service)
                ? WatchAsync(service, stoppingToken)
                : throw new InvalidOperationException($"{KubernetesOptions.Section}:Services entry '{entry}' passed validation but does not parse")));
    }

    private Task WatchAsync(KubernetesService kubernetesService, CancellationToken stoppingToken)
    {
        var service = kubernetesService.Service;
        var ns = kubernetesService.Namespace;
        var selector = $"{ServiceLabel}={kubernetesService.Name}";
        return watch.RunAsync(new ResourceQuery<V1EndpointSlice, IReadOnlyList<Member>>(
            $"EndpointSlices of {service}",
            async ct =>
            {
                var list = await client.DiscoveryV1.ListNamespacedEndpointSliceAsync(ns, labelSelector: selector, cancellationToken: ct).ConfigureAwait(false);
                return (list.Items, list.Metadata.ResourceVersion);
            },
            (resourceVersion, onError, ct) => client.DiscoveryV1.WatchListNamespacedEndpointSliceAsync(
                ns, allowWatchBookmarks: true, labelSelector: selector, resourceVersion: resourceVersion, onError: onError, cancellationToken: ct),
            MembersOf,
            slices =>
            {
                members.Replace(service, slices.SelectMany(m => m).ToHashSet());
                Reconcile(service);
            },
            ControllerMetrics.MembershipEvents), stoppingToken);
    }

    /// <summary>Makes a controlled service's endpoints what membership lists (a no-op for a service another replica controls).</summary>
    private void Reconcile(string service)
    {
        if (!_owned.ContainsKey(map.Of(service)))
        {
            return;
        }

        var current = members.Of(service);
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
}
