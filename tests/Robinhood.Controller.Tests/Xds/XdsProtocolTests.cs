using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;
using Envoy.Service.Endpoint.V3;
using Grpc.Core;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Xds;
using Robinhood.Tests;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Xds;

/// <summary>The xDS protocol over real gRPC (Kestrel on loopback): the test plays the xDS client.</summary>
public sealed class XdsProtocolTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static WeightSnapshot Snapshot(string service, ulong version, int endpoints = 2)
    {
        var s = new WeightSnapshot { Service = service, Version = version, ComputedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow) };
        for (var i = 0; i < endpoints; i++)
        {
            s.Endpoints.Add(new EndpointWeight { Endpoint = $"10.0.{i / 250}.{(i % 250) + 1}:8080", Zone = $"zone-{i % 2}", Weight = 1000 + (uint)version, State = EndpointState.Active });
        }

        return s;
    }

    private static AggregatedDiscoveryService.AggregatedDiscoveryServiceClient Ads(RunningController c) => new(CallDeadline.On(c.Channel));

    private static DiscoveryRequest Request(string typeUrl, params string[] names) =>
        new() { TypeUrl = typeUrl, ResourceNames = { names }, Node = new Envoy.Config.Core.V3.Node { Id = "test-node" } };

    private static async Task<T> NextAsync<T>(IAsyncStreamReader<T> stream)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        Assert.True(await stream.MoveNext(timeout.Token), "the stream ended");
        return stream.Current;
    }

    private static ClusterLoadAssignment Assignment(DiscoveryResponse response) => Assert.Single(response.Resources).Unpack<ClusterLoadAssignment>();

    [Fact]
    public async Task StreamAggregated_FirstRequest_SendsTheSnapshotAsLocalitiesAtItsVersion()
    {
        await using var controller = await RunningController.StartAsync();
        controller.Snapshots.Set([Snapshot("checkout", 10)]);
        using var call = Ads(controller).StreamAggregatedResources();

        await call.RequestStream.WriteAsync(Request(XdsResources.EndpointType, "checkout"));
        var response = await NextAsync(call.ResponseStream);

        Assert.Equal(XdsResources.EndpointType, response.TypeUrl);
        Assert.Equal("10", response.VersionInfo);
        Assert.NotEmpty(response.Nonce);
        var assignment = Assignment(response);
        Assert.Equal("checkout", assignment.ClusterName);
        Assert.Equal(["zone-0", "zone-1"], assignment.Endpoints.Select(l => l.Locality.Zone));
        Assert.All(assignment.Endpoints, l => Assert.Equal(1010u, Assert.Single(l.LbEndpoints).LoadBalancingWeight));
    }

    [Fact]
    public async Task StreamAggregated_Acked_NothingResentUntilTheServiceChanges()
    {
        await using var controller = await RunningController.StartAsync();
        controller.Snapshots.Set([Snapshot("checkout", 10)]);
        using var call = Ads(controller).StreamAggregatedResources();
        await call.RequestStream.WriteAsync(Request(XdsResources.EndpointType, "checkout"));
        var first = await NextAsync(call.ResponseStream);
        await call.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = first.TypeUrl, VersionInfo = first.VersionInfo, ResponseNonce = first.Nonce, ResourceNames = { "checkout" } });

        // Another service changing, and the ACK itself, send nothing; the next response is the change,
        // timed as a push (the first response was not one: the client had nothing before it).
        var pushes = ControllerMetrics.XdsPushLatency.Count;
        controller.Snapshots.Set([Snapshot("other", 5)]);
        controller.Snapshots.Set([Snapshot("checkout", 11)]);
        var next = await NextAsync(call.ResponseStream);

        Assert.Equal("11", next.VersionInfo);
        Assert.NotEqual(first.Nonce, next.Nonce);
        Assert.Equal(1011u, Assignment(next).Endpoints[0].LbEndpoints[0].LoadBalancingWeight);
        await Eventually(() => ControllerMetrics.XdsPushLatency.Count >= pushes + 1);
    }

    [Fact]
    public async Task StreamAggregated_Nack_IsCountedAndChangesNothingButTheNextChangeIsSent()
    {
        await using var controller = await RunningController.StartAsync();
        controller.Snapshots.Set([Snapshot("checkout", 10)]);
        using var call = Ads(controller).StreamAggregatedResources();
        await call.RequestStream.WriteAsync(Request(XdsResources.EndpointType, "checkout"));
        var first = await NextAsync(call.ResponseStream);
        var nacks = ControllerMetrics.XdsNacks.WithLabels("ads", "ClusterLoadAssignment");
        var before = nacks.Value;

        // The client refuses version 10 and stays on what it had (nothing): version_info empty, error_detail set.
        await call.RequestStream.WriteAsync(new DiscoveryRequest
        {
            TypeUrl = first.TypeUrl,
            ResponseNonce = first.Nonce,
            ResourceNames = { "checkout" },
            ErrorDetail = new Google.Rpc.Status { Code = (int)StatusCode.InvalidArgument, Message = "bad resource" },
        });
        await Eventually(() => nacks.Value == before + 1);

        // Not sent again (it would be refused again); the next snapshot is.
        controller.Snapshots.Set([Snapshot("checkout", 11)]);
        Assert.Equal("11", (await NextAsync(call.ResponseStream)).VersionInfo);
        Assert.Equal(before + 1, nacks.Value);
    }

    [Fact]
    public async Task StreamAggregated_ReconnectWithCurrentVersion_SentOnlyTheNextChange_WithOlderVersion_SentAtOnce()
    {
        await using var controller = await RunningController.StartAsync();
        controller.Snapshots.Set([Snapshot("checkout", 10)]);

        using (var old = Ads(controller).StreamAggregatedResources())
        {
            var resumed = Request(XdsResources.EndpointType, "checkout");
            resumed.VersionInfo = "9";
            await old.RequestStream.WriteAsync(resumed);
            Assert.Equal("10", (await NextAsync(old.ResponseStream)).VersionInfo);
        }

        using var call = Ads(controller).StreamAggregatedResources();
        var current = Request(XdsResources.EndpointType, "checkout");
        current.VersionInfo = "10";
        await call.RequestStream.WriteAsync(current);
        controller.Snapshots.Set([Snapshot("checkout", 12)]);
        Assert.Equal("12", (await NextAsync(call.ResponseStream)).VersionInfo);
    }

    [Fact]
    public async Task StreamAggregated_WildcardClusters_ServiceRemoved_SentWithoutIt()
    {
        await using var controller = await RunningController.StartAsync();
        controller.Snapshots.Set([Snapshot("a", 1), Snapshot("b", 1)]);
        using var call = Ads(controller).StreamAggregatedResources();

        await call.RequestStream.WriteAsync(Request(XdsResources.ClusterType));
        var first = await NextAsync(call.ResponseStream);
        Assert.Equal(["a", "b"], first.Resources.Select(r => r.Unpack<Cluster>().Name));
        await call.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = first.TypeUrl, VersionInfo = first.VersionInfo, ResponseNonce = first.Nonce });

        // A weight change leaves clusters as they are; the removal is the next cluster response.
        controller.Snapshots.Set([Snapshot("a", 2)]);
        controller.Snapshots.Remove("a");
        var next = await NextAsync(call.ResponseStream);
        Assert.Equal(["b"], next.Resources.Select(r => r.Unpack<Cluster>().Name));
        Assert.NotEqual(first.VersionInfo, next.VersionInfo);
    }

    [Fact]
    public async Task StreamAggregated_StaleNonce_Ignored()
    {
        await using var controller = await RunningController.StartAsync();
        controller.Snapshots.Set([Snapshot("a", 1), Snapshot("b", 1)]);
        using var call = Ads(controller).StreamAggregatedResources();
        await call.RequestStream.WriteAsync(Request(XdsResources.EndpointType, "a"));
        var first = await NextAsync(call.ResponseStream);

        // A request answering a nonce this stream never sent changes nothing: "b" is not sent.
        await call.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = first.TypeUrl, ResponseNonce = "stale", ResourceNames = { "a", "b" } });
        controller.Snapshots.Set([Snapshot("a", 2)]);
        var next = await NextAsync(call.ResponseStream);
        Assert.Equal("a", Assignment(next).ClusterName);
    }

    [Fact]
    public async Task DeltaAggregated_SubscribeAndUnsubscribe_SendsOnlyWhatTheClientLacks()
    {
        await using var controller = await RunningController.StartAsync();
        controller.Snapshots.Set([Snapshot("a", 1), Snapshot("b", 1)]);
        using var call = Ads(controller).DeltaAggregatedResources();

        await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = XdsResources.EndpointType, ResourceNamesSubscribe = { "a" } });
        var first = await NextAsync(call.ResponseStream);
        var a = Assert.Single(first.Resources);
        Assert.Equal(("a", "1"), (a.Name, a.Version));
        Assert.Equal("a", a.Resource_.Unpack<ClusterLoadAssignment>().ClusterName);

        await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = XdsResources.EndpointType, ResponseNonce = first.Nonce, ResourceNamesSubscribe = { "b" } });
        var second = await NextAsync(call.ResponseStream);
        Assert.Equal(["b"], second.Resources.Select(r => r.Name));

        // Unsubscribing "a" (and subscribing "c", whose response shows the request was taken in).
        await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest
        {
            TypeUrl = XdsResources.EndpointType,
            ResponseNonce = second.Nonce,
            ResourceNamesUnsubscribe = { "a" },
            ResourceNamesSubscribe = { "c" },
        });
        Assert.Equal([("c", "0")], (await NextAsync(call.ResponseStream)).Resources.Select(r => (r.Name, r.Version)));
        controller.Snapshots.Set([Snapshot("a", 2)]);
        controller.Snapshots.Set([Snapshot("b", 2)]);
        var third = await NextAsync(call.ResponseStream);
        Assert.Equal([("b", "2")], third.Resources.Select(r => (r.Name, r.Version)));
        Assert.Empty(third.RemovedResources);
    }

    [Fact]
    public async Task DeltaAggregated_WildcardWithKnownVersions_SendsChangesThenRemoval()
    {
        await using var controller = await RunningController.StartAsync();
        controller.Snapshots.Set([Snapshot("a", 1), Snapshot("b", 1)]);
        using var call = Ads(controller).DeltaAggregatedResources();

        // Back from another stream holding "a" at its version: only "b" is due.
        await call.RequestStream.WriteAsync(new DeltaDiscoveryRequest
        {
            TypeUrl = XdsResources.EndpointType,
            ResourceNamesSubscribe = { "*" },
            InitialResourceVersions = { ["a"] = "1" },
        });
        var first = await NextAsync(call.ResponseStream);
        Assert.Equal(["b"], first.Resources.Select(r => r.Name));

        controller.Snapshots.Remove("a");
        var removal = await NextAsync(call.ResponseStream);
        Assert.Equal(["a"], removal.RemovedResources);
        Assert.Empty(removal.Resources);
    }

    [Fact]
    public async Task EndpointDiscovery_SotwAndDelta_ServeEndpointsAlone()
    {
        await using var controller = await RunningController.StartAsync();
        controller.Snapshots.Set([Snapshot("checkout", 7)]);
        var eds = new EndpointDiscoveryService.EndpointDiscoveryServiceClient(CallDeadline.On(controller.Channel));

        using (var sotw = eds.StreamEndpoints())
        {
            // An Envoy EDS cluster's request; a Listener asked for here is not served on this service.
            await sotw.RequestStream.WriteAsync(Request(XdsResources.ListenerType, "checkout"));
            await sotw.RequestStream.WriteAsync(Request(XdsResources.EndpointType, "checkout"));
            var response = await NextAsync(sotw.ResponseStream);
            Assert.Equal((XdsResources.EndpointType, "7"), (response.TypeUrl, response.VersionInfo));
        }

        using var delta = eds.DeltaEndpoints();
        await delta.RequestStream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = XdsResources.EndpointType, ResourceNamesSubscribe = { "checkout" } });
        Assert.Equal("7", Assert.Single((await NextAsync(delta.ResponseStream)).Resources).Version);
    }

    [Fact]
    public async Task StreamAggregated_UnknownService_EmptyAssignmentAtVersionZero_ThenItsEndpoints()
    {
        await using var controller = await RunningController.StartAsync();
        using var call = Ads(controller).StreamAggregatedResources();
        await call.RequestStream.WriteAsync(Request(XdsResources.EndpointType, "later"));
        var empty = await NextAsync(call.ResponseStream);
        Assert.Equal("0", empty.VersionInfo);
        Assert.Empty(Assignment(empty).Endpoints);

        await call.RequestStream.WriteAsync(new DiscoveryRequest { TypeUrl = empty.TypeUrl, VersionInfo = "0", ResponseNonce = empty.Nonce, ResourceNames = { "later" } });
        controller.Snapshots.Set([Snapshot("later", 3)]);
        Assert.Equal(2, Assignment(await NextAsync(call.ResponseStream)).Endpoints.Count);
    }

    [Fact]
    public async Task StreamAggregated_MoreNamesThanTheLimit_EndsTheStreamNamingTheLimit()
    {
        await using var controller = await RunningController.StartAsync(null, "--Robinhood:Xds:MaxNamesPerType=3");
        using var call = Ads(controller).StreamAggregatedResources();
        await call.RequestStream.WriteAsync(Request(XdsResources.EndpointType, "a", "b", "c", "d"));

        var refused = await Assert.ThrowsAsync<RpcException>(() => NextAsync(call.ResponseStream));
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("Robinhood:Xds:MaxNamesPerType", refused.Status.Detail);
        Assert.Contains("got 4", refused.Status.Detail);
    }

    [Fact]
    public async Task StreamAggregated_SlowClient_GetsTheNewestVersionNotABacklog()
    {
        await using var controller = await RunningController.StartAsync();
        controller.Snapshots.Set([Snapshot("checkout", 1, endpoints: 200)]);
        using var call = Ads(controller).StreamAggregatedResources();
        await call.RequestStream.WriteAsync(Request(XdsResources.EndpointType, "checkout"));
        Assert.Equal("1", (await NextAsync(call.ResponseStream)).VersionInfo);

        // ~2,000 versions of ~200 endpoints (MBs, far past HTTP/2 flow-control windows) while nobody reads.
        const ulong last = 2_000;
        for (ulong v = 2; v <= last; v++)
        {
            controller.Snapshots.Set([Snapshot("checkout", v, endpoints: 200)]);
        }

        var read = 0;
        DiscoveryResponse response;
        do
        {
            response = await NextAsync(call.ResponseStream);
            read++;
        }
        while (response.VersionInfo != last.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // What Kestrel and the HTTP/2 window already held (7 in the runs here) plus the newest; the rest skipped.
        Assert.True(read < 100, $"read {read} of {last - 1} versions to reach the newest");
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not before the deadline");
            await Task.Delay(10);
        }
    }
}
