using Robinhood.Controller.Tests.Hosting;

namespace Robinhood.Controller.Tests.Metrics;

/// <summary>
/// A running controller with the in-process demo fleet (12 endpoints, 100 ms tick) reporting over
/// real gRPC, for a test class to share. The demo's periodic disturbance is off: halving a node's
/// capacity overloads it for a tick or two (in-flight above its limit, utilization above 1), and
/// these tests check the steady state. Metrics live in prometheus-net's process-wide registry,
/// shared with every other test of this assembly (and outliving each controller), so every
/// instance reports under a service name of its own.
/// </summary>
public sealed class DemoFleetController : IAsyncLifetime
{
    public const int Endpoints = 12;

    public string Service { get; } = $"demo-{Guid.NewGuid():N}"[..13];

    public RunningController Controller { get; private set; } = null!;

    public async Task InitializeAsync() => Controller = await RunningController.StartAsync(null,
        $"--Robinhood:Demo:Endpoints={Endpoints}",
        $"--Robinhood:Demo:Service={Service}",
        "--Robinhood:Control:Interval=00:00:00.100",
        "--Robinhood:Demo:DisturbEvery=0",
        "--Robinhood:Control:WarmUp=00:00:01");

    public async Task DisposeAsync() => await Controller.DisposeAsync();
}
