using Google.Protobuf;
using Robinhood.Controller.Xds;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Xds;

/// <summary>
/// The encoded resources, byte for byte, against bytes written here by hand from the published field
/// numbers (envoyproxy/data-plane-api), not from the generated code: a wrong number in proto/envoy fails here.
/// </summary>
public sealed class XdsResourcesGoldenTests
{
    private const string Service = "checkout";

    /// <summary>Two zones; zone-a has an ACTIVE and a DRAINING endpoint, zone-b a STALE one still weighted.</summary>
    private static WeightSnapshot TwoZones() => new()
    {
        Service = Service,
        Version = 42,
        Endpoints =
        {
            new EndpointWeight { Endpoint = "10.0.0.1:8080", Zone = "zone-a", Weight = 1500, State = EndpointState.Active },
            new EndpointWeight { Endpoint = "10.0.0.2:8080", Zone = "zone-a", Weight = 0, State = EndpointState.Draining },
            new EndpointWeight { Endpoint = "[fd00::3]:9090", Zone = "zone-b", Weight = 700, State = EndpointState.Stale },
            new EndpointWeight { Endpoint = "db.internal:5432", Zone = "zone-b", Weight = 800, State = EndpointState.Active },
        },
    };

    [Fact]
    public void LoadAssignment_TwoZonesDrainingAndStale_EncodesAsPublished()
    {
        // LbEndpoint: endpoint=1 { address=1 { socket_address=1 { address=2, port_value=3 } } }, health_status=2, load_balancing_weight=4 { value=1 }.
        static byte[] LbEndpoint(string ip, uint port, ulong health, ulong weight) => Wire.Concat(
            Wire.Message(1, Wire.Message(1, Wire.Message(1, Wire.String(2, ip), Wire.Varint(3, port)))),
            Wire.Varint(2, health),
            Wire.Message(4, Wire.Varint(1, weight)));

        // LocalityLbEndpoints: locality=1 { zone=2 }, lb_endpoints=2, load_balancing_weight=3 { value=1 }.
        static byte[] Locality(string zone, params byte[][] endpoints) => Wire.Concat(
            [Wire.Message(1, Wire.String(2, zone)), .. endpoints.Select(e => Wire.Message(2, e)), Wire.Message(3, Wire.Varint(1, 1))]);

        const ulong healthy = 1, draining = 3;
        var expected = Wire.Concat(
            Wire.String(1, Service),
            Wire.Message(2, Locality("zone-a", LbEndpoint("10.0.0.1", 8080, healthy, 1500), LbEndpoint("10.0.0.2", 8080, draining, 1))),
            // The STALE endpoint keeps its weight; the one named by DNS is left out (xDS clients dial IPs).
            Wire.Message(2, Locality("zone-b", LbEndpoint("fd00::3", 9090, healthy, 700))));

        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(XdsResources.LoadAssignment(TwoZones()).ToByteArray()));
    }

    [Fact]
    public void Listener_Service_EncodesApiListenerWithInlineRouteAndRouterFilterAsPublished()
    {
        // HttpConnectionManager: stat_prefix=2, route_config=4, http_filters=5 { name=1, typed_config=4 }.
        var route = Wire.Concat(
            Wire.Message(1, Wire.String(1, "")),          // match { prefix: "" }
            Wire.Message(2, Wire.String(1, Service)));    // route { cluster }
        var virtualHost = Wire.Concat(Wire.String(1, Service), Wire.String(2, "*"), Wire.Message(3, route));
        var routeConfiguration = Wire.Concat(Wire.String(1, Service), Wire.Message(2, virtualHost));
        var router = Wire.String(1, "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router");
        var manager = Wire.Concat(
            Wire.String(2, Service),
            Wire.Message(4, routeConfiguration),
            Wire.Message(5, Wire.Concat(Wire.String(1, "router"), Wire.Message(4, router))));
        var any = Wire.Concat(
            Wire.String(1, "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"),
            Wire.Bytes(2, manager));
        // Listener: name=1, api_listener=19 { api_listener=1 }.
        var expected = Wire.Concat(Wire.String(1, Service), Wire.Message(19, Wire.Message(1, any)));

        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(XdsResources.Listener(Service).ToByteArray()));
    }

    [Fact]
    public void Cluster_Service_EncodesEdsOverAdsWithRingHashAsPublished()
    {
        // Cluster: name=1, type=2 (EDS=3), eds_cluster_config=3 { eds_config=1 { ads=3 {}, resource_api_version=6 (V3=2) },
        // service_name=2 }, lb_policy=6 (RING_HASH=2), ring_hash_lb_config=23 { minimum_ring_size=1, maximum_ring_size=4 }.
        var expected = Wire.Concat(
            Wire.String(1, Service),
            Wire.Varint(2, 3),
            Wire.Message(3, Wire.Concat(Wire.Message(1, Wire.Concat(Wire.Message(3), Wire.Varint(6, 2))), Wire.String(2, Service))),
            Wire.Varint(6, 2),
            Wire.Message(23, Wire.Concat(Wire.Message(1, Wire.Varint(1, 4096)), Wire.Message(4, Wire.Varint(1, 65536)))));

        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(XdsResources.Cluster(Service).ToByteArray()));
    }

    [Theory]
    [InlineData("10.1.2.3:80", "10.1.2.3", 80u)]
    [InlineData("[::1]:443", "::1", 443u)]
    [InlineData("db.internal:5432", null, 0u)]
    [InlineData("10:80", null, 0u)]
    [InlineData("[0:0:0:0:0:0:0:1]:80", "::1", 80u)]
    [InlineData("10.1.2.3:0", null, 0u)]
    public void SocketAddressOf_Endpoint_OnlyCanonicalIpLiterals(string endpoint, string? address, uint port)
    {
        var socket = XdsResources.SocketAddressOf(endpoint);
        Assert.Equal(address, socket?.Address);
        Assert.Equal(port, socket?.PortValue ?? 0);
    }

    /// <summary>Protocol buffer wire format, written by hand: tag = field number &lt;&lt; 3 | wire type.</summary>
    private static class Wire
    {
        public static byte[] Varint(int field, ulong value) => Concat(Raw(((ulong)field << 3) | 0), Raw(value));

        public static byte[] String(int field, string value) => Bytes(field, System.Text.Encoding.UTF8.GetBytes(value));

        public static byte[] Bytes(int field, byte[] value) => Concat(Raw(((ulong)field << 3) | 2), Raw((ulong)value.Length), value);

        public static byte[] Message(int field, params byte[][] parts) => Bytes(field, Concat(parts));

        public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

        private static byte[] Raw(ulong value)
        {
            var bytes = new List<byte>();
            do
            {
                var b = (byte)(value & 0x7F);
                value >>= 7;
                bytes.Add(value == 0 ? b : (byte)(b | 0x80));
            }
            while (value != 0);
            return [.. bytes];
        }
    }
}
