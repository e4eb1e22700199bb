using System.Diagnostics;
using System.Globalization;
using Robinhood.Controller.Tests.Kubernetes;
using Robinhood.ScaleBench.Load;

namespace Robinhood.ScaleBench.Sharded;

/// <summary>
/// The in-process Kubernetes API server (the tests' <see cref="FakeKubernetesApiServer"/>) with the EndpointSlices of
/// the sharded run's fleet, in its own process (<c>dotnet Robinhood.ScaleBench.dll sharded-api --endpoints N</c>),
/// as the API server is in a cluster: its CPU is its own and its requests do not queue behind the benchmark's agents.
/// </summary>
public sealed class KubernetesApiProcess : IAsyncDisposable
{
    public const string Command = "sharded-api";

    private readonly Process _process;

    private KubernetesApiProcess(Process process, string host) => (_process, Host) = (process, host);

    /// <summary>Where KubernetesClient connects (<c>Robinhood:Kubernetes:Host</c>).</summary>
    public string Host { get; }

    public int Pid => _process.Id;

    public static async Task<KubernetesApiProcess> StartAsync(int endpoints)
    {
        var process = Process.Start(new ProcessStartInfo("dotnet", [typeof(KubernetesApiProcess).Assembly.Location, Command, "--endpoints", endpoints.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("could not start the Kubernetes API server");
        try
        {
            var host = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))
                ?? throw new InvalidOperationException("the Kubernetes API server exited at start");
            return new KubernetesApiProcess(process, host);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>The child's side: serves the fleet's EndpointSlices and the Leases, prints its address, runs until killed.</summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        var layout = new FleetLayout(100);
        var services = layout.Services(ShardedRun.Arg(args, "--endpoints", 30_000));
        await using var api = await FakeKubernetesApiServer.StartAsync();
        for (var s = 0; s < services.Count; s++)
        {
            api.PutEndpointSlice(FakeKubernetesApiServer.Slice(ShardedRun.Namespace, services[s] + "-1", services[s], 8080,
                [.. Enumerable.Range(s * layout.PerService, layout.PerService).Select(i => (FleetLayout.Endpoint(i)[..^5], "zone-a"))]));
        }

        Console.WriteLine(api.Host);
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
