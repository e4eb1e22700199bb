using Google.Protobuf.WellKnownTypes;
using Robinhood.Control;
using Robinhood.Control.Rollout;
using Robinhood.Controller.Control;
using Robinhood.Controller.Dashboard;
using Robinhood.Controller.Publish;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Dashboard;

/// <summary>What a replica that does not lead shows from the leader's snapshots, and the events marked on a service's history.</summary>
public sealed class FleetViewTests
{
    private static readonly DateTimeOffset ComputedAt = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void RecordSnapshot_EveryState_ShowsPhasesWeightsAndMaxAvgOverActiveOnly()
    {
        var view = new FleetView();

        view.Record(Snapshot(version: 7, ComputedAt,
            ("10.0.0.1:80", 1200, EndpointState.Active, 0.6),
            ("10.0.0.2:80", 800, EndpointState.Active, 0.2),
            ("10.0.0.3:80", 300, EndpointState.Warming, 0.9),
            ("10.0.0.4:80", 1000, EndpointState.Stale, 1.0),
            ("10.0.0.5:80", 0, EndpointState.Draining, 0.95)));

        var service = Assert.Single(view.Read());
        Assert.Equal("checkout", service.Service);
        Assert.False(service.Frozen);
        Assert.Equal(
        [
            new WeightedEndpoint("10.0.0.1:80", "zone-a", 1200, EndpointPhase.Active, 0.6),
            new WeightedEndpoint("10.0.0.2:80", "zone-a", 800, EndpointPhase.Active, 0.2),
            new WeightedEndpoint("10.0.0.3:80", "zone-a", 300, EndpointPhase.Warming, 0.9),
            new WeightedEndpoint("10.0.0.4:80", "zone-a", 1000, EndpointPhase.Stale, 1.0),
            new WeightedEndpoint("10.0.0.5:80", "zone-a", 0, EndpointPhase.Draining, 0.95),
        ], service.Endpoints);
        // Max 0.6 over mean 0.4 of the two ACTIVE endpoints; the others would raise both.
        Assert.Equal(1.5, service.MaxAvg, precision: 9);
        var point = Assert.Single(service.History);
        Assert.Equal(ComputedAt.ToUnixTimeMilliseconds(), point.At);
        Assert.Equal(1.5, point.MaxAvg, precision: 9);
    }

    [Theory]
    [InlineData(EndpointPhase.Warming)]
    [InlineData(EndpointPhase.Active)]
    [InlineData(EndpointPhase.Stale)]
    [InlineData(EndpointPhase.Draining)]
    public void RecordSnapshot_StatePublishedForPhase_ShowsThatPhase(EndpointPhase phase)
    {
        var view = new FleetView();

        view.Record(Snapshot(version: 1, ComputedAt, ("10.0.0.1:80", 1000, SnapshotPublisher.ToState(phase), 0.5)));

        Assert.Equal(phase, Assert.Single(Assert.Single(view.Read()).Endpoints).Phase);
    }

    [Fact]
    public void RecordSnapshot_SameOrOlderVersionAgain_KeepsNewerAndAddsNoPoint()
    {
        var view = new FleetView();
        view.Record(Snapshot(version: 5, ComputedAt, ("10.0.0.1:80", 1000, EndpointState.Active, 0.5)));

        // A resync hands the same snapshot again; a late pub/sub message an older one.
        view.Record(Snapshot(version: 5, ComputedAt, ("10.0.0.1:80", 1000, EndpointState.Active, 0.5)));
        view.Record(Snapshot(version: 4, ComputedAt.AddSeconds(-1), ("10.0.0.1:80", 700, EndpointState.Active, 0.5)));
        var unchanged = Assert.Single(view.Read());
        view.Record(Snapshot(version: 6, ComputedAt.AddSeconds(1), ("10.0.0.1:80", 900, EndpointState.Active, 0.5)));
        var newer = Assert.Single(view.Read());

        Assert.Equal(1000u, Assert.Single(unchanged.Endpoints).Weight);
        Assert.Single(unchanged.History);
        Assert.Equal(900u, Assert.Single(newer.Endpoints).Weight);
        Assert.Equal([ComputedAt.ToUnixTimeMilliseconds(), ComputedAt.AddSeconds(1).ToUnixTimeMilliseconds()], newer.History.Select(p => p.At));
    }

    [Fact]
    public void RecordTick_JoinStaleStepOverrideAndModeChange_MarkedAtTheirTick()
    {
        var view = new FleetView();
        var at = ComputedAt;
        WeightedEndpoint Active(string endpoint, uint computed) => new(endpoint, "zone-a", computed, EndpointPhase.Active, 0.5) { Computed = computed };
        void Tick(ServiceWeights weights)
        {
            at = at.AddSeconds(1);
            view.Record(new ServiceTick(weights, 0.5), at);
        }

        Tick(new ServiceWeights("checkout", [Active("10.0.0.1:80", 1000), Active("10.0.0.2:80", 1000)], false));
        Tick(new ServiceWeights("checkout", [Active("10.0.0.1:80", 1150), Active("10.0.0.2:80", 850)], false));
        Tick(new ServiceWeights("checkout", [Active("10.0.0.1:80", 1500), Active("10.0.0.2:80", 500), Active("10.0.0.3:80", 1000)], false));
        Tick(new ServiceWeights("checkout",
            [Active("10.0.0.1:80", 1500) with { Pinned = 1500 }, Active("10.0.0.2:80", 500) with { Phase = EndpointPhase.Stale }, Active("10.0.0.3:80", 1000)], false)
        {
            Rollout = new(RolloutMode.Blend, 0.5),
        });

        var t = ComputedAt.ToUnixTimeMilliseconds();
        Assert.Equal(
        [
            new ServiceEvent(t + 3000, ServiceEventKind.Step, "10.0.0.1:80", "weight 1150 → 1500"),
            new ServiceEvent(t + 3000, ServiceEventKind.Step, "10.0.0.2:80", "weight 850 → 500"),
            new ServiceEvent(t + 3000, ServiceEventKind.Join, "10.0.0.3:80", "joined"),
            new ServiceEvent(t + 4000, ServiceEventKind.Override, "", "mode Active → Blend 50%"),
            new ServiceEvent(t + 4000, ServiceEventKind.Override, "10.0.0.1:80", "pinned 1500"),
            new ServiceEvent(t + 4000, ServiceEventKind.Stale, "10.0.0.2:80", "no reports: STALE"),
        ], Assert.Single(view.Read()).Events);
    }

    [Fact]
    public void RecordTick_EndpointsLeaveAndJoinBetweenOthers_EachJoinMarkedOnce()
    {
        var view = new FleetView();
        WeightedEndpoint Active(string endpoint) => new(endpoint, "zone-a", 1000, EndpointPhase.Active, 0.5) { Computed = 1000 };
        view.Record(new ServiceTick(new ServiceWeights("checkout", [Active("10.0.0.1:80"), Active("10.0.0.3:80"), Active("10.0.0.5:80")], false), 0.5), ComputedAt);
        view.Record(
            new ServiceTick(new ServiceWeights("checkout", [Active("10.0.0.2:80"), Active("10.0.0.3:80"), Active("10.0.0.4:80"), Active("10.0.0.6:80")], false), 0.5),
            ComputedAt.AddSeconds(1));

        // 10.0.0.1 and 10.0.0.5 left (no event), 10.0.0.3 stayed as it was.
        var at = ComputedAt.AddSeconds(1).ToUnixTimeMilliseconds();
        Assert.Equal(
        [
            new ServiceEvent(at, ServiceEventKind.Join, "10.0.0.2:80", "joined"),
            new ServiceEvent(at, ServiceEventKind.Join, "10.0.0.4:80", "joined"),
            new ServiceEvent(at, ServiceEventKind.Join, "10.0.0.6:80", "joined"),
        ], Assert.Single(view.Read()).Events);
    }

    [Fact]
    public void RecordTick_HundredEndpointsNothingHappened_AllocatesNothingPerEndpoint()
    {
        var view = new FleetView();
        var endpoints = Enumerable.Range(0, 100)
            .Select(i => new WeightedEndpoint($"10.0.{i / 10}.{i % 10}:80", "zone-a", 1000, EndpointPhase.Active, 0.5) { Computed = 1000 })
            .OrderBy(e => e.Endpoint, StringComparer.Ordinal)
            .ToArray();
        var tick = new ServiceTick(new ServiceWeights("checkout", endpoints, false), 0.5);
        for (var t = 0; t < 3; t++)
        {
            view.Record(tick, ComputedAt.AddSeconds(t));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        view.Record(tick, ComputedAt.AddSeconds(3));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // An index of the previous tick's endpoints alone would be over 4 KB; what is left is the copy's ServiceWeights.
        Assert.True(allocated < 256, $"recording a tick of 100 endpoints allocated {allocated} bytes");
        Assert.Empty(Assert.Single(view.Read()).Events);
    }

    private static WeightSnapshot Snapshot(ulong version, DateTimeOffset computedAt, params (string Endpoint, uint Weight, EndpointState State, double Utilization)[] endpoints)
    {
        var snapshot = new WeightSnapshot { Service = "checkout", Version = version, ComputedAt = Timestamp.FromDateTimeOffset(computedAt) };
        foreach (var (endpoint, weight, state, utilization) in endpoints)
        {
            snapshot.Endpoints.Add(new EndpointWeight { Endpoint = endpoint, Weight = weight, Zone = "zone-a", State = state, Utilization = utilization });
        }

        return snapshot;
    }
}
