using MathNet.Numerics.Statistics;
using Robinhood.Control.Tests.Fleet;
using Xunit.Abstractions;

namespace Robinhood.Control.Tests;

/// <summary>The measured targets of the control loop, on a modelled 24-node fleet (capacities 4× apart).</summary>
public sealed class ServiceControllerFleetTests(ITestOutputHelper output)
{
    private const int Nodes = 24;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private static ControlledFleet Converged(int seed, bool reportRate, ControlOptions? options = null, int ticks = 100)
    {
        var run = new ControlledFleet(new ModelledFleet(seed, Nodes) { ReportRate = reportRate }, options ?? new ControlOptions(), Interval);
        run.Run(ticks);
        return run;
    }

    [Fact]
    public void Serve_RoundRobin_FleetIsImbalanced()
    {
        var fleet = new ModelledFleet(1, Nodes);

        var imbalance = fleet.Serve(fleet.Nodes.ToDictionary(n => n.Name, _ => 1.0), _ => { });

        Assert.True(imbalance > 1.4, $"round robin max/avg {imbalance:F3}: the model must be worth balancing");
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(1, false)]
    [InlineData(2, false)]
    public void Tick_HeterogeneousFleetSteady_MaxOverAverageAtMost1_02AndBelowA58(int seed, bool reportRate)
    {
        var run = Converged(seed, reportRate);

        var steady = run.Run(200);
        var a58 = A58Weights.Run(new ModelledFleet(seed, Nodes), 300).Skip(100).ToArray();

        output.WriteLine($"controller mean {steady.Mean():F4} p95 {steady.Quantile(0.95):F4} max {steady.Maximum():F4}; A58 mean {a58.Mean():F4}");
        Assert.True(steady.Mean() <= 1.02, $"mean max/avg {steady.Mean():F4}");
        Assert.True(steady.Quantile(0.95) <= 1.02, $"p95 max/avg {steady.Quantile(0.95):F4}");
        Assert.True(steady.Mean() <= a58.Mean(), $"controller {steady.Mean():F4} against A58 {a58.Mean():F4}");
    }

    [Theory]
    [InlineData(1, true, 3)]
    [InlineData(2, true, 17)]
    [InlineData(1, false, 3)]
    [InlineData(2, false, 17)]
    public void Tick_NodeLosesHalfItsCapacity_BackWithin20TicksWithoutOscillation(int seed, bool reportRate, int node)
    {
        var run = Converged(seed, reportRate);
        var victim = run.Fleet.Nodes[node];

        victim.Capacity /= 2;
        var imbalance = new double[40];
        var weight = new double[40];
        for (var i = 0; i < 40; i++)
        {
            imbalance[i] = run.Step();
            weight[i] = run.Endpoint(victim.Name).Weight;
        }

        var recovered = Array.FindLastIndex(imbalance, x => x > 1.10) + 1;
        var settled = weight.Skip(30).Average();
        output.WriteLine($"back under 1.10 after {recovered} ticks; worst after that {imbalance.Skip(recovered).Max():F4}; weight low {weight.Min()} settled {settled:F0}");
        Assert.True(recovered <= 20, $"still above 1.10 at tick {recovered}");
        Assert.True(imbalance.Skip(20).Max() <= 1.05, "stays balanced");
        Assert.True(weight.Min() >= 0.85 * settled, $"undershoot: low {weight.Min()} against settled {settled:F0}");
    }

    [Theory]
    [InlineData(400, 0.0, true)]
    [InlineData(100, 0.15, true)]
    [InlineData(400, 0.0, false)]
    [InlineData(100, 0.15, false)]
    public void Tick_NodeJoins_NeverAbove1_3AverageWhileWarmingThenActive(double capacity, double background, bool reportRate)
    {
        var tick = TimeSpan.FromMilliseconds(200);
        var options = new ControlOptions { WarmUp = TimeSpan.FromSeconds(10) };
        var run = new ControlledFleet(new ModelledFleet(4, Nodes) { ReportRate = reportRate }, options, tick);
        run.Run(200);
        var node = run.Fleet.AddNode(capacity, background);

        double worst = 0, servedAtEnd = 0;
        var warmingTicks = 0;
        for (var i = 0; i < 100; i++)
        {
            run.Step();
            var listed = run.Last!.Endpoints.Where(e => e.Endpoint == node.Name).ToList();
            if (listed.Count == 0 || listed[0].Phase == EndpointPhase.Warming)
            {
                worst = Math.Max(worst, node.Utilization / run.Fleet.AverageUtilization());
                servedAtEnd = node.Utilization / run.Fleet.AverageUtilization();
                warmingTicks++;
            }
        }

        output.WriteLine($"warming {warmingTicks} ticks; worst {worst:F3}× average; at the end of warm-up {servedAtEnd:F3}× average");
        Assert.True(worst <= 1.3, $"{worst:F3}× the average while warming");
        Assert.InRange(warmingTicks * tick, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(11));
        Assert.Equal(EndpointPhase.Active, run.Endpoint(node.Name).Phase);
        Assert.True(servedAtEnd >= 0.7, $"only {servedAtEnd:F3}× the average after warm-up: it must get traffic quickly");
    }

    [Theory]
    [InlineData(5, true)]
    [InlineData(11, true)]
    [InlineData(5, false)]
    [InlineData(11, false)]
    public void Tick_NodeStallsOnIo_InFlightBelow80PercentOfLimitWithin30Ticks(int node, bool reportRate)
    {
        var run = Converged(1, reportRate);
        var stalled = run.Fleet.Nodes[node];

        stalled.Stalled = true;
        var ratio = new double[40];
        for (var i = 0; i < 40; i++)
        {
            run.Step();
            ratio[i] = stalled.InFlight / stalled.MaxInFlight;
        }

        var under = Array.FindLastIndex(ratio, x => x >= 0.8) + 1;
        output.WriteLine($"in-flight/limit {ratio[0]:F2} at the stall, under 0.8 after {under} ticks, {ratio[^1]:F2} at the end");
        Assert.True(ratio[0] > 1, "the stall pushes in-flight past the limit");
        Assert.True(under <= 30, $"still at {ratio[under - 1]:F2} of the limit at tick {under}");
    }

    [Fact]
    public void Serve_A58OnStalledNode_FeedsIt()
    {
        // Why the signal includes in-flight: qps / cpu rises when a node stalls.
        var fleet = new ModelledFleet(1, Nodes);
        var a58 = new A58Weights();
        for (var i = 0; i < 50; i++)
        {
            fleet.Serve(new Dictionary<string, double>(a58.Weights), a58.Observe);
        }

        var stalled = fleet.Nodes[5];
        stalled.Stalled = true;
        for (var i = 0; i < 30; i++)
        {
            fleet.Serve(new Dictionary<string, double>(a58.Weights), a58.Observe);
        }

        Assert.True(stalled.InFlight > stalled.MaxInFlight, $"A58 left it at {stalled.InFlight / stalled.MaxInFlight:F2} of its limit");
    }
}
