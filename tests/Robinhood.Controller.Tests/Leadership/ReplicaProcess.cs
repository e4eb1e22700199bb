using System.Diagnostics;
using Robinhood.Controller.Tests.Persistence;

namespace Robinhood.Controller.Tests.Leadership;

/// <summary>One controller replica as its own process (<c>dotnet Robinhood.Controller.dll</c>) on loopback ports, killed with SIGKILL.</summary>
internal sealed class ReplicaProcess : IAsyncDisposable
{
    private readonly Process _process;

    public ReplicaProcess(string identity, IEnumerable<string> args)
    {
        Identity = identity;
        GrpcAddress = $"http://127.0.0.1:{RedisServer.FreePort()}";
        HttpAddress = $"http://127.0.0.1:{RedisServer.FreePort()}";
        _process = ControllerProcessTests.StartController(
        [
            $"--Kestrel:Endpoints:Grpc:Url={GrpcAddress}",
            $"--Kestrel:Endpoints:Http:Url={HttpAddress}",
            .. args,
            "--Logging:LogLevel:Default=Warning",
        ]);
    }

    public string Identity { get; }

    public string GrpcAddress { get; }

    public string HttpAddress { get; }

    /// <summary>SIGSTOP: the process holds its sockets and Leases but answers nothing, as a replica stalled on its node.</summary>
    public async Task PauseAsync()
    {
        using var kill = Process.Start("kill", ["-STOP", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>SIGKILL: no shutdown runs, no Lease is handed back.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
