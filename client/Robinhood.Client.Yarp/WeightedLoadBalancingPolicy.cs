using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Robinhood.Client.Picking;
using Robinhood.Client.Subscription;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Robinhood.Client.Yarp;

/// <summary>
/// YARP policy <c>robinhood_wrr</c>: picks a destination (id = endpoint <c>host:port</c>) by the weights of the
/// service named by the cluster id. New weights arrive as a swapped table, never as a config reload.
/// </summary>
public sealed class WeightedLoadBalancingPolicy : ILoadBalancingPolicy
{
    /// <summary>The policy name to put in a cluster's <c>LoadBalancingPolicy</c>.</summary>
    public const string PolicyName = "robinhood_wrr";

    private readonly WeightSubscription _subscription;
    private readonly Random _random;
    private readonly ConcurrentDictionary<string, Selection> _selections = new(StringComparer.Ordinal);

    /// <summary>Creates the policy over the process's weight subscription.</summary>
    public WeightedLoadBalancingPolicy(WeightSubscription subscription, Random random)
    {
        _subscription = subscription;
        _random = random;
    }

    /// <inheritdoc />
    public string Name => PolicyName;

    /// <inheritdoc />
    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var table = _subscription.Service(cluster.ClusterId).Current;
        if (!_selections.TryGetValue(cluster.ClusterId, out var selection)
            || !ReferenceEquals(selection.Table, table)
            || !ReferenceEquals(selection.Available, availableDestinations))
        {
            // Once per new table or new destination list, not per request.
            selection = Selection.Build(table, availableDestinations, _random);
            _selections[cluster.ClusterId] = selection;
        }

        if (selection.Picker is null)
        {
            return null;
        }

        var destination = selection.Picker.Pick();
        ClientMetrics.Picks.Add(1, ClientMetrics.Service(table.Service), ClientMetrics.Endpoint(destination.DestinationId));
        return destination;
    }

    /// <summary>A picker over the available destinations, weights renormalized over them.</summary>
    private sealed record Selection(WeightTable Table, IReadOnlyList<DestinationState> Available, WeightedRoundRobin<DestinationState>? Picker)
    {
        public static Selection Build(WeightTable table, IReadOnlyList<DestinationState> available, Random random)
        {
            var weights = new uint[available.Count];
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] = table.WeightOf(available[i].DestinationId);
            }

            if (!weights.Any(w => w > 0))
            {
                return new Selection(table, available, null);
            }

            lock (random)
            {
                return new Selection(table, available, new WeightedRoundRobin<DestinationState>(available, weights, random));
            }
        }
    }
}
