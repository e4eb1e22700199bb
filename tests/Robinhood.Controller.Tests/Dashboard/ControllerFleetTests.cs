using Robinhood.Controller.Tests.ClosedLoop;
using Robinhood.Simulator.Fleet;
using Xunit.Abstractions;

namespace Robinhood.Controller.Tests.Dashboard;

/// <summary>The tuner's fleet derived from a running controller's dashboard API, against the fleet that really reports.</summary>
public sealed class ControllerFleetTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ReadAsync_RunningControllerWithAModelledFleet_CapacitiesAsTheLoopSeesThemAndTheMeanCpu()
    {
        await using var fleet = await WireFleet.StartAsync();
        for (var t = 0; t < 100; t++)
        {
            await fleet.StepAsync();
        }

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var derived = await ControllerFleet.ReadAsync(fleet.Http, fleet.Http.BaseAddress!, WireFleet.Service, cancel.Token);

        var nodes = derived.Nodes();
        Assert.Equal(fleet.Model.Nodes.Count, nodes.Count);
        // The estimate is requests/s over CPU, background included: a little under the node's capacity, never above by more than the noise.
        var ratios = nodes.Select(n => n.Capacity / fleet.Model.Nodes.Single(m => m.Endpoint + ":8080" == n.Endpoint).Capacity).ToList();
        output.WriteLine($"derived/true capacity {ratios.Min():F3}–{ratios.Max():F3}; utilization {derived.Utilization}; true mean CPU {fleet.Model.Samples.Average(s => s.Cpu):F3}");
        Assert.All(ratios, r => Assert.InRange(r, 0.8, 1.03));
        Assert.True(nodes.Max(n => n.Capacity) / nodes.Min(n => n.Capacity) > 3, "the derived fleet keeps the ~4× spread");
        Assert.InRange(derived.Utilization, fleet.Model.Samples.Average(s => s.Cpu) - 0.03, fleet.Model.Samples.Average(s => s.Cpu) + 0.03);
        Assert.Equal(3, derived.Scenarios().Count);
    }

    [Fact]
    public async Task ReadAsync_UnknownService_RefusedNamingIt()
    {
        await using var fleet = await WireFleet.StartAsync();
        await fleet.StepAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var refused = await Assert.ThrowsAsync<FormatException>(() => ControllerFleet.ReadAsync(fleet.Http, fleet.Http.BaseAddress!, "nobody", cancel.Token));

        Assert.Contains("answered 404", refused.Message, StringComparison.Ordinal);
        Assert.Contains("service 'nobody' is not known to this controller", refused.Message, StringComparison.Ordinal);
    }
}
