using Robinhood.Simulator.Fleet;

namespace Robinhood.Simulator.Tests.Fleet;

public class FleetModelTests
{
    private static readonly FleetParameters Parameters = new();

    private static FleetModel Model(int nodes = 24, int seed = 7) =>
        new(FleetModel.Generate(nodes, Parameters, new Random(seed)), Parameters, new Random(seed + 1));

    [Fact]
    public void Serve_BelowCapacity_InFlightFollowsLittlesLaw()
    {
        var fleet = Model();
        var node = fleet.Nodes[0];

        var s = fleet.Serve(node, new NodeCondition(), 0.05, 0, node.Capacity * 0.5);

        Assert.Equal(node.Capacity * 0.5, s.Served, 9);
        Assert.Equal(0.55, s.Cpu, 9);
        Assert.Equal(node.ServiceTime / (1 - 0.55), s.Latency, 9);
        Assert.Equal(s.Served * s.Latency, s.InFlight, 9);
        Assert.Equal(0, s.Backlog);
    }

    [Fact]
    public void Serve_ArrivalsAboveCapacity_CpuSaturatesAtOneAndTheRestQueues()
    {
        var fleet = Model();
        var node = fleet.Nodes[0];

        var s = fleet.Serve(node, new NodeCondition(), 0.05, 0, node.Capacity * 1.2);

        Assert.Equal(1.0, s.Cpu, 9);
        Assert.Equal(node.Capacity * 0.95, s.Served, 9);
        Assert.Equal(node.Capacity * 0.25, s.Backlog + s.Dropped, 9);
        Assert.True(s.InFlight > node.MaxInFlight, $"in-flight {s.InFlight} should exceed {node.MaxInFlight}");
        Assert.Equal(s.Served * s.Latency, s.InFlight, 6);
    }

    [Fact]
    public void Serve_QueueBeyondLimit_IsDropped()
    {
        var fleet = Model();
        var node = fleet.Nodes[0];
        var limit = node.MaxInFlight * Parameters.QueueLimitFactor;

        var s = fleet.Serve(node, new NodeCondition(), 0, limit * 2, node.Capacity);

        Assert.Equal(node.Capacity, s.Served, 9);
        Assert.Equal(limit, s.Backlog, 9);
        Assert.Equal(limit, s.Dropped, 9);
    }

    [Fact]
    public void Serve_StalledOnIo_LowCpuLongLatencyAndPilingRequests()
    {
        var fleet = Model();
        var node = fleet.Nodes[0];
        var arrivals = node.Capacity * 0.5;

        var normal = fleet.Serve(node, new NodeCondition(), 0.05, 0, arrivals);
        var stalled = fleet.Serve(node, new NodeCondition { Stalled = true }, 0.05, 0, arrivals);

        Assert.True(stalled.Cpu < normal.Cpu * 0.6, $"stalled CPU {stalled.Cpu} vs {normal.Cpu}");
        Assert.True(stalled.Latency > normal.Latency * 5);
        Assert.True(stalled.Backlog > 0);
        Assert.True(stalled.InFlight > normal.InFlight * 5);
    }

    [Fact]
    public void Serve_HalvedCapacity_DoublesTheCpuOfTheSameLoad()
    {
        var fleet = Model();
        var node = fleet.Nodes[0];

        var s = fleet.Serve(node, new NodeCondition { CapacityFactor = 0.5 }, 0, 0, node.Capacity * 0.2);

        Assert.Equal(0.4, s.Cpu, 9);
    }

    [Fact]
    public void Generate_SameSeed_SameFleetWithAboutFourfoldCapacitySpread()
    {
        var a = FleetModel.Generate(24, Parameters, new Random(42));
        var b = FleetModel.Generate(24, Parameters, new Random(42));

        Assert.Equal(a, b);
        var spread = a.Max(n => n.Capacity) / a.Min(n => n.Capacity);
        Assert.InRange(spread, 3, 5.5);
        Assert.Equal(24, a.Select(n => n.Endpoint).Distinct().Count());
    }

    [Fact]
    public void Measure_CpuWithinNoise_CountersExact_SilentAgentsLeftOut()
    {
        var fleet = Model(4);
        fleet.Conditions[1].Reporting = false;
        fleet.Conditions[2].Member = false;
        fleet.Step([.. fleet.Nodes.Select(n => n.Capacity * 0.4)]);

        var reports = fleet.Measure();

        Assert.Equal(["ep-0000", "ep-0003"], reports.Select(r => r.Endpoint));
        foreach (var r in reports)
        {
            var truth = fleet.Samples[int.Parse(r.Endpoint[3..], System.Globalization.CultureInfo.InvariantCulture)];
            Assert.InRange(r.CpuUtilization, truth.Cpu * (1 - Parameters.MeasurementNoise), truth.Cpu * (1 + Parameters.MeasurementNoise));
            Assert.Equal(truth.Served, r.RequestsPerSecond);
            Assert.Equal((uint)Math.Round(truth.InFlight), r.InFlight);
        }
    }
}
