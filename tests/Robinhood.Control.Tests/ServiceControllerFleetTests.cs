using MathNet.Numerics.Statistics;
using Robinhood.Simulator.Fleet;
using Robinhood.Simulator.Strategies;
using Xunit.Abstractions;

namespace Robinhood.Control.Tests;

/// <summary>
/// The measured targets of the control loop, on the simulator's 24-node fleet model (capacities ~4× apart) routed by
/// the simulator's <see cref="RobinhoodStrategy"/>: the control library unchanged, one tick a second.
/// </summary>
public sealed class ServiceControllerFleetTests(ITestOutputHelper output)
{
    private const int Nodes = 24;

    /// <summary>
    /// A fleet where nothing moves but what the controller moves: each node's background CPU stays at its base.
    /// The published parameters let it wander (σ 0.3% a tick), which no controller working from last tick's
    /// reports can follow; that is the simulator's steady scenario, not this bound's.
    /// </summary>
    private static readonly FleetParameters Still = new() { BackgroundWalk = 0 };

    private static (SimulatedFleet Fleet, RobinhoodStrategy Run) Converged(int seed, bool reportRate, FleetParameters? parameters = null)
    {
        var fleet = new SimulatedFleet(seed, Nodes, parameters) { ReportRate = reportRate };
        var run = new RobinhoodStrategy(new ControlOptions());
        fleet.Run(run, 100);
        return (fleet, run);
    }

    /// <summary>The last tick's output for <paramref name="endpoint"/>; null while the controller does not list it.</summary>
    private static WeightedEndpoint? Listed(RobinhoodStrategy run, string endpoint) =>
        run.LastWeights?.Endpoints.Where(e => e.Endpoint == endpoint).Select(e => (WeightedEndpoint?)e).FirstOrDefault();

    /// <summary>A node at the edge of the model's ranges, named as the model names the next node.</summary>
    private static NodeSpec Joiner(int cores, double speed, double background)
    {
        var only = new FleetParameters
        {
            MinCores = cores,
            MaxCores = cores,
            MinSpeed = speed,
            MaxSpeed = speed,
            MinBackground = background,
            MaxBackground = background,
        };
        return FleetModel.Generate(1, only, new Random(0))[0] with { Endpoint = $"ep-{Nodes:D4}" };
    }

    [Fact]
    public void Serve_RoundRobin_FleetIsImbalanced()
    {
        var fleet = new SimulatedFleet(1, Nodes);

        var imbalance = fleet.Serve(new RoundRobin());
        output.WriteLine($"round robin max/avg {imbalance:F3}");

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
        var (fleet, run) = Converged(seed, reportRate, Still);

        var steady = fleet.Run(run, 200);
        var a58 = new SimulatedFleet(seed, Nodes, Still).Run(new A58WeightedRoundRobin(), 300)[100..];

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
        var (fleet, run) = Converged(seed, reportRate);
        var victim = fleet.Model.Nodes[node].Endpoint;

        fleet.Model.Conditions[node].CapacityFactor = 0.5;
        var imbalance = new double[40];
        var weight = new double[40];
        for (var i = 0; i < 40; i++)
        {
            imbalance[i] = fleet.Serve(run);
            weight[i] = Listed(run, victim)!.Value.Weight;
        }

        var recovered = Array.FindLastIndex(imbalance, x => x > 1.10) + 1;
        var settled = weight.Skip(30).Average();
        output.WriteLine($"back under 1.10 after {recovered} ticks; worst after that {imbalance.Skip(recovered).DefaultIfEmpty(1).Max():F4}; weight low {weight.Min()} settled {settled:F0}");
        Assert.True(recovered <= 20, $"still above 1.10 at tick {recovered}");
        Assert.True(imbalance.Skip(20).Max() <= 1.05, "stays balanced");
        Assert.True(weight.Min() >= 0.85 * settled, $"undershoot: low {weight.Min()} against settled {settled:F0}");
    }

    [Theory]
    [InlineData(8, 1.1, 0.0, true)]
    [InlineData(2, 0.9, 0.15, true)]
    [InlineData(8, 1.1, 0.0, false)]
    [InlineData(2, 0.9, 0.15, false)]
    public void Tick_NodeJoins_NeverAbove1_3AverageWhileWarmingThenActive(int cores, double speed, double background, bool reportRate)
    {
        // The biggest node the model can draw with no background CPU, or the smallest with more than any drawn one;
        // membership lists it a tick before its first report arrives. The strategy ticks once a simulated second.
        var tick = TimeSpan.FromSeconds(1);
        var fleet = new SimulatedFleet(4, Nodes, joining: Joiner(cores, speed, background)) { ReportRate = reportRate };
        var run = new RobinhoodStrategy(new ControlOptions { WarmUp = TimeSpan.FromSeconds(10) });
        fleet.Run(run, 200);
        fleet.Join(Nodes);
        var joined = fleet.Model.Nodes[Nodes].Endpoint;

        double worst = 0, servedAtEnd = 0;
        var warmingTicks = 0;
        for (var i = 0; i < 100; i++)
        {
            fleet.Serve(run);
            if (Listed(run, joined) is not { Phase: not EndpointPhase.Warming })
            {
                servedAtEnd = fleet.Model.Samples[Nodes].Cpu / fleet.AverageCpu();
                worst = Math.Max(worst, servedAtEnd);
                warmingTicks++;
            }
        }

        output.WriteLine($"warming {warmingTicks} ticks; worst {worst:F3}× average; at the end of warm-up {servedAtEnd:F3}× average");
        Assert.True(worst <= 1.3, $"{worst:F3}× the average while warming");
        Assert.InRange(warmingTicks * tick, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(11));
        Assert.Equal(EndpointPhase.Active, Listed(run, joined)?.Phase);
        Assert.True(servedAtEnd >= 0.7, $"only {servedAtEnd:F3}× the average after warm-up: it must get traffic quickly");
    }

    [Theory]
    [InlineData(5, true)]
    [InlineData(11, true)]
    [InlineData(5, false)]
    [InlineData(11, false)]
    public void Tick_NodeStallsOnIo_InFlightBelow80PercentOfLimitWithin30Ticks(int node, bool reportRate)
    {
        var (fleet, run) = Converged(1, reportRate);

        fleet.Model.Conditions[node].Stalled = true;
        var ratio = new double[40];
        for (var i = 0; i < 40; i++)
        {
            fleet.Serve(run);
            ratio[i] = fleet.InFlightRatio(node);
        }

        var under = Array.FindLastIndex(ratio, x => x >= 0.8) + 1;
        output.WriteLine($"in-flight/limit {ratio[0]:F2} at the stall, under 0.8 after {under} ticks, {ratio[^1]:F2} at the end");
        Assert.True(ratio[0] > 1, "the stall pushes in-flight past the limit");
        Assert.True(under <= 30, $"still at {ratio[under - 1]:F2} of the limit at tick {under}");
    }

    [Fact]
    public void Serve_A58OnStalledNode_FeedsIt()
    {
        // Why the signal includes in-flight: a stalled node completes less at less CPU, so qps / cpu falls only a little.
        var fleet = new SimulatedFleet(1, Nodes);
        var a58 = new A58WeightedRoundRobin();
        fleet.Run(a58, 50);

        fleet.Model.Conditions[5].Stalled = true;
        fleet.Run(a58, 30);

        output.WriteLine($"in-flight/limit {fleet.InFlightRatio(5):F2} after 30 ticks of A58");
        Assert.True(fleet.InFlightRatio(5) > 1, $"A58 left it at {fleet.InFlightRatio(5):F2} of its limit");
    }
}
