using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Control.Persistence;

namespace Robinhood.Control.Tests;

public sealed class ServiceControllerTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private ServiceController NewController(ControlOptions? options = null) =>
        new("svc", options ?? new ControlOptions { WarmUp = TimeSpan.FromSeconds(3) }, _time);

    private static EndpointLoad Load(string endpoint, double cpu, uint inFlight = 0, uint maxInFlight = 0, double rps = 0) =>
        new(endpoint, "zone-a", cpu, inFlight, maxInFlight, rps);

    /// <summary>Every endpoint reports its cpu, the clock advances a second, the controller ticks.</summary>
    private ServiceWeights Tick(ServiceController controller, params (string Endpoint, double Cpu)[] reports)
    {
        foreach (var (endpoint, cpu) in reports)
        {
            controller.Observe(Load(endpoint, cpu));
        }

        _time.Advance(Second);
        return controller.Tick();
    }

    /// <summary>"a:1" and "b:1" reported once; then "a:1" left membership.</summary>
    private ServiceController LeftAfterOneTick(TimeSpan drainFor)
    {
        var controller = NewController(new ControlOptions { DrainFor = drainFor });
        Tick(controller, ("a:1", 0.5), ("b:1", 0.5));
        controller.Leave("a:1");
        return controller;
    }

    private static WeightedEndpoint Get(ServiceWeights weights, string endpoint) =>
        weights.Endpoints.Single(e => e.Endpoint == endpoint);

    private static double MeanWeight(ServiceWeights weights) =>
        weights.Endpoints.Where(e => e.Phase != EndpointPhase.Draining).Average(e => (double)e.Weight);

    [Fact]
    public void Tick_NoEndpoints_ReturnsEmptyUnfrozen()
    {
        var weights = NewController().Tick();

        Assert.Equal("svc", weights.Service);
        Assert.Empty(weights.Endpoints);
        Assert.False(weights.Frozen);
    }

    [Fact]
    public void Observe_UnknownEndpoint_JoinsWarmingWithWeight()
    {
        var weights = Tick(NewController(), ("a:1", 0.5), ("b:1", 0.5));

        Assert.All(weights.Endpoints, e => Assert.Equal(EndpointPhase.Warming, e.Phase));
        Assert.All(weights.Endpoints, e => Assert.InRange(e.Weight, 900u, 1100u));
    }

    [Fact]
    public void Tick_WarmUpElapsed_EndpointActive()
    {
        var controller = NewController();
        ServiceWeights weights = Tick(controller, ("a:1", 0.5));
        for (var i = 0; i < 3; i++)
        {
            weights = Tick(controller, ("a:1", 0.5));
        }

        Assert.Equal(EndpointPhase.Active, Get(weights, "a:1").Phase);
    }

    [Fact]
    public void Tick_ManyEndpoints_OrderedByNameWithMeanAbout1000()
    {
        var controller = NewController();
        ServiceWeights weights = controller.Tick();
        for (var i = 0; i < 20; i++)
        {
            weights = Tick(controller, ("c:1", 0.9), ("a:1", 0.3), ("b:1", 0.5), ("a:2", 0.6));
        }

        Assert.Equal(["a:1", "a:2", "b:1", "c:1"], weights.Endpoints.Select(e => e.Endpoint));
        Assert.InRange(MeanWeight(weights), 995, 1005);
        Assert.True(Get(weights, "a:1").Weight > Get(weights, "c:1").Weight, "the idle endpoint gets more than the busy one");
    }

    [Fact]
    public void Tick_HotEndpointStaysHot_WeightsWithinBounds()
    {
        var options = new ControlOptions { WarmUp = TimeSpan.Zero, MinWeightRatio = 0.2, MaxWeightRatio = 3 };
        var controller = NewController(options);
        ServiceWeights weights = controller.Tick();
        for (var i = 0; i < 100; i++)
        {
            // Feedback that never answers: one endpoint always saturated, one always idle.
            weights = Tick(controller, ("hot:1", 1.0), ("idle:1", 0.01), ("mid:1", 0.5), ("mid:2", 0.5));
        }

        var mean = weights.Endpoints.Average(e => (double)e.Weight);
        Assert.All(weights.Endpoints, e => Assert.InRange(e.Weight / mean, 0.2 - 0.01, 3 + 0.01));
        Assert.InRange(Get(weights, "hot:1").Weight / mean, 0.19, 0.21);
        Assert.Equal(EndpointPhase.Active, Get(weights, "hot:1").Phase);
    }

    [Fact]
    public void Tick_ServiceLargerThanTheStackBuffer_MeanKeptWithHalfTheWeightsAtABound()
    {
        // 2,000 endpoints: the normalization's values no longer fit its stack buffer (1,024) and go to a rented array.
        var options = new ControlOptions { WarmUp = TimeSpan.Zero, MinWeightRatio = 0.2, MaxWeightRatio = 3 };
        var controller = NewController(options);
        var loads = Enumerable.Range(0, 2000).Select(i => Load($"10.0.{i / 250}.{i % 250}:80", i % 2 == 0 ? 0.9 : 0.1)).ToArray();
        ServiceWeights weights = controller.Tick();
        for (var t = 0; t < 60; t++)
        {
            foreach (var load in loads)
            {
                controller.Observe(load);
            }

            _time.Advance(Second);
            weights = controller.Tick();
        }

        // Feedback that never answers drives the busy half to the floor; the idle half takes what keeps the mean.
        Assert.InRange(MeanWeight(weights), 999, 1001);
        Assert.All(weights.Endpoints, e => Assert.InRange(e.Weight, 200u, 3000u));
        var busy = loads.Where(l => l.CpuUtilization > 0.5).Select(l => l.Endpoint).ToHashSet();
        Assert.Equal(1000, weights.Endpoints.Count(e => busy.Contains(e.Endpoint) && e.Weight == 200));
        Assert.All(weights.Endpoints.Where(e => !busy.Contains(e.Endpoint)), e => Assert.InRange(e.Weight, 1799u, 1801u));
    }

    [Fact]
    public void Join_NeverReported_WarmingWithStartShareUntilItReports()
    {
        var controller = NewController(new ControlOptions { WarmUp = TimeSpan.Zero, WarmUpStartRatio = 0.2 });
        controller.Join("new:1", "zone-b");
        ServiceWeights weights = controller.Tick();
        for (var i = 0; i < 10; i++)
        {
            weights = Tick(controller, ("a:1", 0.5), ("b:1", 0.5));
        }

        var joined = Get(weights, "new:1");
        Assert.Equal(EndpointPhase.Warming, joined.Phase);
        Assert.Equal("zone-b", joined.Zone);
        Assert.InRange(joined.Weight / (double)Get(weights, "a:1").Weight, 0.19, 0.21);
    }

    [Fact]
    public void Leave_ReportingEndpoint_DrainsWithZeroThenForgotten()
    {
        var controller = LeftAfterOneTick(TimeSpan.FromSeconds(3));
        var draining = Tick(controller, ("a:1", 0.5), ("b:1", 0.5));
        Tick(controller, ("b:1", 0.5));
        var gone = Tick(controller, ("b:1", 0.5));

        Assert.Equal(EndpointPhase.Draining, Get(draining, "a:1").Phase);
        Assert.Equal(0u, Get(draining, "a:1").Weight);
        Assert.InRange(Get(draining, "b:1").Weight, 999u, 1001u);
        Assert.DoesNotContain(gone.Endpoints, e => e.Endpoint == "a:1");
    }

    [Fact]
    public void Tick_NoReportForStaleAfter_StaleAndOutOfSetpoint()
    {
        var controller = NewController(new ControlOptions { WarmUp = TimeSpan.Zero, StaleAfter = TimeSpan.FromSeconds(5) });
        for (var i = 0; i < 10; i++)
        {
            Tick(controller, ("a:1", 0.9), ("b:1", 0.3), ("c:1", 0.3));
        }

        // The last report of "a" came a second before the last tick; four more seconds are not yet five.
        ServiceWeights weights = controller.Tick();
        for (var i = 0; i < 3; i++)
        {
            weights = Tick(controller, ("b:1", 0.3), ("c:1", 0.3));
        }

        Assert.Equal(EndpointPhase.Active, Get(weights, "a:1").Phase);
        weights = Tick(controller, ("b:1", 0.3), ("c:1", 0.3));

        Assert.Equal(EndpointPhase.Stale, Get(weights, "a:1").Phase);
        Assert.Equal(0.3, controller.Setpoint, 3);
    }

    [Fact]
    public void Tick_StaleEndpoint_WeightFrozenThenEasedToSafeShare()
    {
        var options = new ControlOptions
        {
            WarmUp = TimeSpan.Zero,
            StaleAfter = TimeSpan.FromSeconds(2),
            StaleDecay = TimeSpan.FromSeconds(10),
            StaleWeightRatio = 0.5,
        };
        var controller = NewController(options);
        for (var i = 0; i < 30; i++)
        {
            // "a" is idle, so it has earned a large weight.
            Tick(controller, ("a:1", 0.2), ("b:1", 0.6), ("c:1", 0.6), ("d:1", 0.6));
        }

        var shares = new List<double>();
        for (var i = 0; i < 16; i++)
        {
            var w = Tick(controller, ("b:1", 0.6), ("c:1", 0.6), ("d:1", 0.6));
            if (Get(w, "a:1").Phase == EndpointPhase.Stale)
            {
                shares.Add(Get(w, "a:1").Weight / (double)Get(w, "b:1").Weight);
            }
        }

        Assert.True(shares[0] > 1.5, $"frozen at its earned share first, was {shares[0]}");
        Assert.True(shares.Zip(shares.Skip(1)).All(p => p.Second <= p.First + 1e-9), "eases monotonically");
        Assert.Equal(0.5, shares[^1], 2);
    }

    [Fact]
    public void Observe_StaleEndpointReportsAgain_ActiveAgain()
    {
        var controller = NewController(new ControlOptions { WarmUp = TimeSpan.Zero, StaleAfter = TimeSpan.FromSeconds(2) });
        Tick(controller, ("a:1", 0.5), ("b:1", 0.5), ("c:1", 0.5));
        Tick(controller, ("b:1", 0.5), ("c:1", 0.5));
        var stale = Tick(controller, ("b:1", 0.5), ("c:1", 0.5));

        var back = Tick(controller, ("a:1", 0.5), ("b:1", 0.5), ("c:1", 0.5));

        Assert.Equal(EndpointPhase.Stale, Get(stale, "a:1").Phase);
        Assert.Equal(EndpointPhase.Active, Get(back, "a:1").Phase);
    }

    [Fact]
    public void Tick_SelfRegisteredSilentForRemoveAfter_DrainsThenForgotten()
    {
        var options = new ControlOptions
        {
            StaleAfter = TimeSpan.FromSeconds(2),
            RemoveAfter = TimeSpan.FromSeconds(6),
            DrainFor = TimeSpan.FromSeconds(2),
        };
        var controller = NewController(options);
        controller.Join("member:1", "");
        Tick(controller, ("a:1", 0.5), ("b:1", 0.5), ("c:1", 0.5), ("member:1", 0.5));
        var phases = new List<EndpointPhase>();
        ServiceWeights weights = controller.Tick();
        for (var i = 0; i < 10; i++)
        {
            weights = Tick(controller, ("b:1", 0.5), ("c:1", 0.5));
            phases.Add(weights.Endpoints.Where(e => e.Endpoint == "a:1").Select(e => e.Phase).DefaultIfEmpty((EndpointPhase)(-1)).First());
        }

        Assert.Contains(EndpointPhase.Stale, phases);
        Assert.Contains(EndpointPhase.Draining, phases);
        Assert.Equal((EndpointPhase)(-1), phases[^1]);
        Assert.Equal(EndpointPhase.Stale, Get(weights, "member:1").Phase); // membership keeps it until Leave
    }

    [Fact]
    public void Tick_MoreThanFreezeRatioStale_HoldsWeightsAndSaysFrozen()
    {
        var controller = NewController(new ControlOptions { WarmUp = TimeSpan.Zero, StaleAfter = TimeSpan.FromSeconds(2), FreezeStaleRatio = 0.5 });
        ServiceWeights before = controller.Tick();
        for (var i = 0; i < 10; i++)
        {
            before = Tick(controller, ("a:1", 0.2), ("b:1", 0.4), ("c:1", 0.6), ("d:1", 0.8));
        }

        ServiceWeights frozen = before;
        for (var i = 0; i < 5; i++)
        {
            // Only one of four reports, and it now says something very different.
            frozen = Tick(controller, ("d:1", 0.1));
        }

        Assert.True(frozen.Frozen);
        Assert.Equal(before.Endpoints.Select(e => e.Weight), frozen.Endpoints.Select(e => e.Weight));
        Assert.Equal(3, frozen.Endpoints.Count(e => e.Phase == EndpointPhase.Stale));
    }

    [Fact]
    public void Tick_HalfStale_NotFrozen()
    {
        var controller = NewController(new ControlOptions { WarmUp = TimeSpan.Zero, StaleAfter = TimeSpan.FromSeconds(2), FreezeStaleRatio = 0.5 });
        Tick(controller, ("a:1", 0.5), ("b:1", 0.5), ("c:1", 0.5), ("d:1", 0.5));
        ServiceWeights weights = controller.Tick();
        for (var i = 0; i < 3; i++)
        {
            weights = Tick(controller, ("c:1", 0.5), ("d:1", 0.5));
        }

        Assert.Equal(2, weights.Endpoints.Count(e => e.Phase == EndpointPhase.Stale));
        Assert.False(weights.Frozen);
    }

    [Theory]
    [InlineData(SignalMode.Max, 0.8)]
    [InlineData(SignalMode.Cpu, 0.3)]
    [InlineData(SignalMode.InFlight, 0.8)]
    public void Tick_SignalMode_UtilizationFromChosenSignal(SignalMode mode, double expected)
    {
        var controller = NewController(new ControlOptions { Signal = mode });
        controller.Observe(Load("a:1", 0.3, inFlight: 80, maxInFlight: 100));
        controller.Observe(Load("b:1", 0.3, inFlight: 80, maxInFlight: 0));
        _time.Advance(Second);

        var weights = controller.Tick();

        Assert.Equal(expected, Get(weights, "a:1").Utilization, 6);
        Assert.Equal(0.3, Get(weights, "b:1").Utilization, 6); // unknown limit: cpu only
    }

    [Fact]
    public void Options_ChangedLive_TakeEffectNextTick()
    {
        var controller = NewController(new ControlOptions { WarmUp = TimeSpan.Zero });
        ServiceWeights before = controller.Tick();
        for (var i = 0; i < 40; i++)
        {
            before = Tick(controller, ("a:1", 0.1), ("b:1", 0.6), ("c:1", 0.6), ("d:1", 0.6));
        }

        controller.Options = new ControlOptions { WarmUp = TimeSpan.Zero, MaxWeightRatio = 1.2 };
        var after = Tick(controller, ("a:1", 0.1), ("b:1", 0.6), ("c:1", 0.6), ("d:1", 0.6));

        var active = (Func<ServiceWeights, double>)(w => Get(w, "a:1").Weight / w.Endpoints.Average(e => (double)e.Weight));
        Assert.True(active(before) > 1.5, $"before: {active(before)}");
        Assert.InRange(active(after), 1.0, 1.2 + 0.01);
    }

    [Fact]
    public void Capture_RestoredThroughJsonIntoNewController_ContinuesUnchanged()
    {
        var first = NewController(new ControlOptions { WarmUp = TimeSpan.Zero });
        controllerRun(first, 20);
        var json = JsonSerializer.Serialize(first.Capture());
        var second = NewController(new ControlOptions { WarmUp = TimeSpan.Zero });

        second.Restore(JsonSerializer.Deserialize<ServiceControllerState>(json)!);

        for (var i = 0; i < 5; i++)
        {
            var reports = new[] { Load("a:1", 0.2 + (0.01 * i), rps: 50), Load("b:1", 0.7, rps: 80), Load("c:1", 0.5, rps: 60) };
            foreach (var r in reports)
            {
                first.Observe(r);
                second.Observe(r);
            }

            _time.Advance(Second);
            var a = first.Tick();
            var b = second.Tick();
            Assert.Equal(a.Endpoints.Select(e => (e.Endpoint, e.Weight, e.Phase, e.Zone)), b.Endpoints.Select(e => (e.Endpoint, e.Weight, e.Phase, e.Zone)));
            Assert.Equal(a.Endpoints.Select(e => e.Utilization), b.Endpoints.Select(e => e.Utilization));
        }

        void controllerRun(ServiceController c, int ticks)
        {
            for (var i = 0; i < ticks; i++)
            {
                c.Observe(Load("a:1", 0.2, rps: 50));
                c.Observe(Load("b:1", 0.7, rps: 80));
                c.Observe(Load("c:1", 0.5, rps: 60));
                _time.Advance(Second);
                c.Tick();
            }
        }
    }

    [Fact]
    public void Restore_EndpointsUnheardWhileTheStateChangedHands_StaleOnlyStaleAfterTheRestore()
    {
        // Restored 6 s after the previous owner last heard every endpoint (StaleAfter 5 s), two of them heard again at
        // once: the other two were silent to no one, and go STALE only once StaleAfter has passed since the restore.
        var options = new ControlOptions { WarmUp = TimeSpan.Zero };
        var first = NewController(options);
        for (var i = 0; i < 20; i++)
        {
            Tick(first, ("a:1", 0.5), ("b:1", 0.5), ("c:1", 0.5), ("d:1", 0.5));
        }

        var state = first.Capture();
        _time.Advance(TimeSpan.FromSeconds(6));
        var second = NewController(options);
        second.Restore(state);

        for (var elapsed = 1; elapsed < 5; elapsed++)
        {
            var weights = Tick(second, ("c:1", 0.5), ("d:1", 0.5));
            Assert.All(weights.Endpoints, e => Assert.Equal(EndpointPhase.Active, e.Phase));
        }

        var stale = Tick(second, ("c:1", 0.5), ("d:1", 0.5));
        Assert.Equal(["a:1", "b:1"], stale.Endpoints.Where(e => e.Phase == EndpointPhase.Stale).Select(e => e.Endpoint));
    }

    [Fact]
    public void Restore_StateOfAnotherService_Throws()
    {
        var state = new ServiceControllerState { Service = "other" };

        Assert.Throws<ArgumentException>(() => NewController().Restore(state));
    }

    [Fact]
    public void Tick_InFlightOverItsLimit_CapacityEstimateFromCpuOnly()
    {
        // Same qps and CPU, one with twice its max_in_flight waiting: the same capacity estimate (near
        // saturation qps / in-flight collapses and drove a limit cycle), the in-flight acts through the PID.
        var controller = NewController(new ControlOptions { WarmUp = TimeSpan.Zero });
        for (var i = 0; i < 3; i++)
        {
            controller.Observe(Load("a:1", 0.5, inFlight: 2, maxInFlight: 32, rps: 100));
            controller.Observe(Load("b:1", 0.5, inFlight: 64, maxInFlight: 32, rps: 100));
            _time.Advance(Second);
            controller.Tick();
        }

        Assert.All(controller.Capture().Endpoints, d => Assert.Equal(0, d.FeedForward, 9));
        Assert.True(controller.Capture().Endpoints[1].Error < 0, "the node over its in-flight limit reads hotter than the setpoint");
        Assert.True(controller.Capture().Endpoints[1].Published < controller.Capture().Endpoints[0].Published);
    }

    [Fact]
    public void Tick_FeedForwardBeyondTheWeightBounds_IntegratorNotWoundUp()
    {
        // Capacities 900× apart at equal CPU: the feed-forward alone pushes the extremes into the bounds.
        // The integrator did not cause that, so anti-windup must not push it the other way.
        var controller = NewController(new ControlOptions { WarmUp = TimeSpan.Zero, Deadband = 0 });
        for (var i = 0; i < 10; i++)
        {
            foreach (var (endpoint, rps) in new[] { ("big:1", 900.0), ("mid:1", 30.0), ("mid:2", 30.0), ("small:1", 1.0) })
            {
                controller.Observe(Load(endpoint, 0.5, rps: rps));
            }

            _time.Advance(Second);
            controller.Tick();
        }

        var weights = controller.Capture().Endpoints.ToDictionary(d => d.Endpoint, d => (double)d.Published);
        var mean = weights.Values.Average();
        Assert.InRange(weights["small:1"] / mean, 0.09, 0.11);
        Assert.All(controller.Capture().Endpoints, d => Assert.Equal(0, d.Integral, 9));
    }

    [Fact]
    public void Capture_AfterTick_OneEntryPerEndpointWithTerms()
    {
        var controller = NewController(new ControlOptions { WarmUp = TimeSpan.Zero });
        for (var i = 0; i < 5; i++)
        {
            Tick(controller, ("a:1", 0.2), ("b:1", 0.8));
        }

        Assert.Equal(["a:1", "b:1"], controller.Capture().Endpoints.Select(d => d.Endpoint));
        Assert.True(controller.Capture().Endpoints[0].Error > 0);
        Assert.True(controller.Capture().Endpoints[1].Integral < 0);
    }

    [Fact]
    public void Observe_AfterLeave_StaysDraining()
    {
        var controller = LeftAfterOneTick(TimeSpan.FromSeconds(30));

        var weights = Tick(controller, ("a:1", 0.1), ("b:1", 0.5));

        Assert.Equal(EndpointPhase.Draining, Get(weights, "a:1").Phase);
        Assert.Equal(0u, Get(weights, "a:1").Weight);
    }

    [Fact]
    public void Join_AfterLeave_WarmsUpAgain()
    {
        var controller = LeftAfterOneTick(TimeSpan.FromSeconds(30));
        Tick(controller, ("b:1", 0.5));

        controller.Join("a:1", "zone-c");
        var weights = Tick(controller, ("b:1", 0.5));

        Assert.Equal(EndpointPhase.Warming, Get(weights, "a:1").Phase);
        Assert.True(Get(weights, "a:1").Weight > 0);
    }

    [Fact]
    public void Join_ThenReports_WarmUpCountsFromFirstReport()
    {
        var controller = NewController(new ControlOptions { WarmUp = TimeSpan.FromSeconds(3) });
        controller.Join("a:1", "");
        for (var i = 0; i < 5; i++)
        {
            Tick(controller, ("b:1", 0.5));
        }

        var first = Tick(controller, ("a:1", 0.5), ("b:1", 0.5));
        Tick(controller, ("a:1", 0.5), ("b:1", 0.5));
        var third = Tick(controller, ("a:1", 0.5), ("b:1", 0.5));

        Assert.Equal(EndpointPhase.Warming, Get(first, "a:1").Phase);
        Assert.Equal(EndpointPhase.Active, Get(third, "a:1").Phase);
    }

    [Fact]
    public void Leave_UnknownEndpoint_ChangesNothing()
    {
        var controller = NewController();
        Tick(controller, ("a:1", 0.5));

        controller.Leave("nobody:1");
        var weights = Tick(controller, ("a:1", 0.5));

        Assert.Equal(["a:1"], weights.Endpoints.Select(e => e.Endpoint));
    }
    [Fact]
    public void TickReusingOutput_SameReportsAsTick_SameWeightsInOneReusedArray()
    {
        var fresh = NewController();
        var reusing = NewController();
        var loads = Enumerable.Range(0, 100).Select(i => (Endpoint: $"10.0.0.{i}:80", Cpu: 0.3 + (0.004 * i))).ToArray();
        IReadOnlyList<WeightedEndpoint>? first = null;
        for (var t = 0; t < 20; t++)
        {
            foreach (var (endpoint, cpu) in loads)
            {
                fresh.Observe(Load(endpoint, cpu + (0.01 * (t % 3))));
                reusing.Observe(Load(endpoint, cpu + (0.01 * (t % 3))));
            }

            _time.Advance(Second);
            var expected = fresh.Tick();
            var actual = reusing.TickReusingOutput();
            Assert.Equal(expected.Endpoints, actual.Endpoints);
            Assert.Equal(expected.Frozen, actual.Frozen);
            first ??= actual.Endpoints;
            Assert.Same(first, actual.Endpoints);
        }
    }

    [Fact]
    public void TickReusingOutput_HundredEndpointsUnderControl_AllocatesNothingPerEndpoint()
    {
        var controller = NewController();
        var loads = Enumerable.Range(0, 100).Select(i => Load($"10.0.0.{i}:80", 0.3 + (0.004 * i))).ToArray();
        for (var t = 0; t < 10; t++)
        {
            foreach (var load in loads)
            {
                controller.Observe(load);
            }

            _time.Advance(Second);
            controller.TickReusingOutput();
        }

        foreach (var load in loads)
        {
            controller.Observe(load);
        }

        _time.Advance(Second);
        var before = GC.GetAllocatedBytesForCurrentThread();
        controller.TickReusingOutput();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // A new output array alone would be over 4 KB (100 values of 40+ bytes); what is left is the tick's
        // ServiceWeights (48 bytes): the normalization gathers its values on the stack, and no closure is made.
        Assert.True(allocated <= 64, $"a tick of 100 endpoints allocated {allocated} bytes");
    }
}
