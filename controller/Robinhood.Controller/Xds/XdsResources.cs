using System.Net;
using Endpoint = Envoy.Config.Endpoint.V3.Endpoint;
using Route = Envoy.Config.Route.V3.Route;
using SocketAddress = Envoy.Config.Core.V3.SocketAddress;
using System.Runtime.CompilerServices;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Robinhood.V1;

namespace Robinhood.Controller.Xds;

/// <summary>
/// The xDS resources of a Robinhood service S, all named S: its endpoints and weights
/// (ClusterLoadAssignment, from the service's snapshot), and the Listener and Cluster a proxyless gRPC
/// client dialing <c>xds:///S</c> needs to reach them.
/// </summary>
public static class XdsResources
{
    public const string ListenerType = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public const string ClusterType = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public const string EndpointType = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

    /// <summary>
    /// The version of a Listener or Cluster: they depend only on the service's name, so they change only
    /// with this build's template (raise it when <see cref="Listener"/> or <see cref="Cluster"/> changes).
    /// </summary>
    public const string TemplateVersion = "t1";

    /// <summary>
    /// Ring entries a gRPC client's ring_hash balancer should build. Its arcs are what follows the weights:
    /// at gRPC's default minimum of 1,024 they miss them by about 3% (total variation), at 4,096 (the
    /// clients' default cap) by about 1%. Clients clamp the maximum to their own cap.
    /// </summary>
    public const ulong MinimumRingSize = 4096;

    public const ulong MaximumRingSize = 65536;

    // One encoding per snapshot for every stream that sends it; snapshots are not changed once published.
    private static readonly ConditionalWeakTable<WeightSnapshot, Any> Encoded = new();

    /// <summary>Every type an aggregated stream serves; a standalone EDS stream serves endpoints alone.</summary>
    public static readonly IReadOnlySet<string> AllTypes = new HashSet<string>([ListenerType, ClusterType, EndpointType], StringComparer.Ordinal);

    public static readonly IReadOnlySet<string> EndpointTypes = new HashSet<string>([EndpointType], StringComparer.Ordinal);

    /// <summary>A type URL's message name (Listener, Cluster, ClusterLoadAssignment), the metrics' label.</summary>
    public static string Kind(string typeUrl) => typeUrl[(typeUrl.LastIndexOf('.') + 1)..];

    /// <summary>A resource's version: the snapshot's for endpoints, the template's for the rest.</summary>
    public static string Version(string typeUrl, WeightSnapshot snapshot) =>
        typeUrl == EndpointType ? snapshot.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) : TemplateVersion;

    /// <summary>The resource of a type for a service, packed; endpoints are encoded once per snapshot.</summary>
    public static Any Resource(string typeUrl, WeightSnapshot snapshot) => typeUrl switch
    {
        EndpointType => Encoded.GetValue(snapshot, static s => Any.Pack(LoadAssignment(s))),
        ListenerType => Any.Pack(Listener(snapshot.Service)),
        ClusterType => Any.Pack(Cluster(snapshot.Service)),
        _ => throw new ArgumentOutOfRangeException(nameof(typeUrl), typeUrl, "not a served xDS type"),
    };

    /// <summary>
    /// One locality per zone, each endpoint with a weight proportional to its Robinhood weight. An endpoint
    /// with weight 0 (draining, or held at zero) is sent DRAINING with weight 1, as xDS forbids 0; a STALE one
    /// is served with its weight. Every locality has weight 1: gRPC's ring_hash multiplies locality and
    /// endpoint weights, so equal locality weights keep each endpoint's share its own weight's. An endpoint
    /// whose host is not an IP literal is left out (xDS clients dial addresses, not names).
    /// </summary>
    public static ClusterLoadAssignment LoadAssignment(WeightSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var assignment = new ClusterLoadAssignment { ClusterName = snapshot.Service };
        foreach (var zone in snapshot.Endpoints.GroupBy(e => e.Zone, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var locality = new LocalityLbEndpoints { Locality = new Locality { Zone = zone.Key }, LoadBalancingWeight = 1 };
            foreach (var e in zone)
            {
                if (SocketAddressOf(e.Endpoint) is not { } address)
                {
                    continue;
                }

                var drained = e.Weight == 0 || e.State == EndpointState.Draining;
                locality.LbEndpoints.Add(new LbEndpoint
                {
                    Endpoint = new Endpoint { Address = new Address { SocketAddress = address } },
                    HealthStatus = drained ? HealthStatus.Draining : HealthStatus.Healthy,
                    LoadBalancingWeight = drained ? 1 : e.Weight,
                });
            }

            if (locality.LbEndpoints.Count > 0)
            {
                assignment.Endpoints.Add(locality);
            }
        }

        return assignment;
    }

    /// <summary>An API listener for <c>xds:///S</c>: every call on every authority routes to cluster S.</summary>
    public static Listener Listener(string service)
    {
        var manager = new HttpConnectionManager
        {
            StatPrefix = service,
            RouteConfig = new RouteConfiguration
            {
                Name = service,
                VirtualHosts =
                {
                    new VirtualHost
                    {
                        Name = service,
                        Domains = { "*" },
                        Routes = { new Route { Match = new RouteMatch { Prefix = "" }, Route_ = new RouteAction { Cluster = service } } },
                    },
                },
            },
            HttpFilters = { new HttpFilter { Name = "router", TypedConfig = Any.Pack(new Router()) } },
        };
        return new Listener { Name = service, ApiListener = new ApiListener { ApiListener_ = Any.Pack(manager) } };
    }

    /// <summary>
    /// Cluster S: endpoints by EDS over the same stream (resource S), balanced by ring hash. With no hash
    /// policy on the route each call hashes at random, so calls follow the endpoint weights (gRPC's
    /// round_robin would ignore them).
    /// </summary>
    public static Cluster Cluster(string service) => new()
    {
        Name = service,
        Type = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.Eds,
        EdsClusterConfig = new Envoy.Config.Cluster.V3.Cluster.Types.EdsClusterConfig
        {
            EdsConfig = new ConfigSource { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 },
            ServiceName = service,
        },
        LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RingHash,
        RingHashLbConfig = new Envoy.Config.Cluster.V3.Cluster.Types.RingHashLbConfig
        {
            MinimumRingSize = MinimumRingSize,
            MaximumRingSize = MaximumRingSize,
        },
    };

    /// <summary>The socket address of an endpoint whose host is an IP literal; null for a DNS name or a malformed endpoint.</summary>
    public static SocketAddress? SocketAddressOf(string endpoint) =>
        EndpointAddress.Parse(endpoint) is { } parsed
        && IPAddress.TryParse(parsed.Host, out var ip)
        && ip.ToString() == parsed.Host // not a DNS name such as "10", which IPAddress reads as 0.0.0.10
            ? new SocketAddress { Address = parsed.Host, PortValue = (uint)parsed.Port }
            : null;
}
