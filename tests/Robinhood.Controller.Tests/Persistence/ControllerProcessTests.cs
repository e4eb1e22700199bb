using Xunit.Abstractions;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Robinhood.Controller.Hosting;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Persistence;

/// <summary>
/// The controller as a real process on a real Redis, agents reporting a modelled heterogeneous fleet
/// over gRPC: SIGKILL and restart, and the weights carry on.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ControllerProcessTests(ITestOutputHelper output)
{
    private const string Service = "checkout";

    [Fact]
    public async Task ControllerKilledAndRestarted_SameRedis_HigherVersionsRestoredWithinTwoPercentOfTheLoopsOwnMotion_FleetStaysUnder115()
    {
        await using var redis = await RedisServer.StartAsync();
        var grpcPort = FreePort();
        string[] args =
        [
            $"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{grpcPort}",
            $"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{FreePort()}",
            $"--ConnectionStrings:Redis={redis.ConnectionString}",
            "--Robinhood:Control:Interval=00:00:00.200",
            "--Robinhood:Control:WarmUp=00:00:02",
            "--Logging:LogLevel:Default=Warning",
        ];
        var fleet = new ModelledService(Service, 12, seed: 7);
        using var fleetAgents = new ModelledAgents([fleet], _ => $"http://127.0.0.1:{grpcPort}", every: TimeSpan.FromMilliseconds(100));
        var agents = fleetAgents.Agents.Single();

        var first = StartController(args);
        double baseline;
        try
        {
            // Converged: the fleet balanced by the controller's weights.
            await Eventually(() => agents.Latest is { } s && s.Endpoints.Count == 12 && fleet.Imbalance(ModelledService.Weights(s)) < 1.05, TimeSpan.FromSeconds(90),
                () => $"{agents.Snapshots.Count} snapshots, latest {agents.Latest?.Endpoints.Count} endpoints, max/avg {(agents.Latest is { } l ? fleet.Imbalance(ModelledService.Weights(l)) : 0):F3}");
            await Eventually(() => agents.Steady(), TimeSpan.FromSeconds(60), () => $"{agents.Snapshots.Count} snapshots");

            // The same window without a restart: how far the loop's own motion moves a share in five seconds.
            var start = agents.Latest!;
            var seenAtStart = agents.Snapshots.Count;
            await Task.Delay(TimeSpan.FromSeconds(5));
            baseline = agents.Snapshots.Skip(seenAtStart).Select(s => ModelledService.MaxRelativeChange(start, s.Snapshot)).DefaultIfEmpty(0).Max();
        }
        finally
        {
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }

        var before = agents.Latest!;
        var seenBefore = agents.Snapshots.Count;
        var second = StartController(args);
        try
        {
            // The first snapshot after the restart, then five seconds: the grace, the wait for reports, 20 ticks of control.
            await Eventually(() => agents.Snapshots.Count > seenBefore, TimeSpan.FromSeconds(60));
            await Task.Delay(TimeSpan.FromSeconds(5));
        }
        finally
        {
            second.Kill(entireProcessTree: true);
            await second.WaitForExitAsync();
        }

        var after = agents.Snapshots.Skip(seenBefore).Select(s => s.Snapshot).ToList();
        var firstAfter = after[0];
        Assert.True(firstAfter.Version > before.Version, $"first version after restart {firstAfter.Version} must be above {before.Version}");
        // Every snapshot of the restarted controller's first seconds, not only the restored one: its grace and its
        // wait for reports must keep it from acting on the few agents that reconnected first. The restart itself (the
        // first snapshot the new process publishes) moves no share by 2%. The seconds after it also carry the loop's
        // own motion, which the same five seconds of the first process without a restart measure in this run (about
        // 2% seen, against 0.3-0.6% after the restart): the restart adds less than 2% to that.
        var restored = ModelledService.MaxRelativeChange(before, firstAfter);
        Assert.True(restored < 0.02, $"the first snapshot after the restart moved an endpoint's share by {restored:P2}");
        var change = after.Max(s => ModelledService.MaxRelativeChange(before, s));
        Assert.True(change - baseline < 0.02, $"a snapshot after the restart moved an endpoint's share by {change:P2}, the same 5 s without a restart by {baseline:P2}");
        var worst = 0.0;
        foreach (var (_, s) in agents.Snapshots.Skip(seenBefore - 5))
        {
            var imbalance = fleet.Imbalance(ModelledService.Weights(s));
            worst = Math.Max(worst, imbalance);
            Assert.True(imbalance <= 1.15, $"max/avg {imbalance:F3} at version {s.Version}");
        }

        output.WriteLine($"version {before.Version} -> {firstAfter.Version}, {after.Count} snapshots in the 5 s after, first one's share change {restored:P2}, largest {change:P2}, the same 5 s without a restart {baseline:P2}, worst max/avg around the restart {worst:F3}");
    }

    /// <summary>The controller as its own process (<c>dotnet Robinhood.Controller.dll</c>), its output read and dropped.</summary>
    internal static Process StartController(string[] args)
    {
        var dll = typeof(ControllerHost).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("the controller did not start");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task Eventually(Func<bool> condition, TimeSpan within, Func<string>? state = null)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"the condition did not hold before the deadline {state?.Invoke()}");
            await Task.Delay(20);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
