using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Robinhood.Controller.Tests.Persistence;

/// <summary>A real redis-server on a free loopback port, without persistence; can be killed and started again on the same port.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    /// <summary>The redis-server process's id while it runs (for a benchmark measuring its CPU).</summary>
    public int? Pid => _process?.Id;

    /// <summary>The StackExchange.Redis configuration string (<c>ConnectionStrings:Redis</c>).</summary>
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=1000,syncTimeout=2000,asyncTimeout=2000";

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(FreePort());
        await server.RestartAsync();
        return server;
    }

    /// <summary>Starts redis-server (again) on the same port and waits until it answers PING.</summary>
    public async Task RestartAsync() => _process = await StartProcessAsync(Port);

    /// <summary>
    /// Starts redis-server on a loopback port without persistence, with <paramref name="extra"/> arguments, and
    /// waits until it answers PING (a Redis Cluster node answers before it has slots).
    /// </summary>
    internal static Task<Process> StartProcessAsync(int port, params string[] extra) =>
        StartProcessAsync(port, ConfigurationOptions.Parse($"127.0.0.1:{port},connectTimeout=500"), extra);

    /// <summary>As <see cref="StartProcessAsync(int, string[])"/>, probing with the given connection (a TLS port needs its own).</summary>
    internal static async Task<Process> StartProcessAsync(int port, ConfigurationOptions probeWith, params string[] extra)
    {
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" }.Concat(extra))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync(probeWith.Clone());
                await probe.GetServer(probeWith.EndPoints[0]).PingAsync();
                return process;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Kills redis-server (SIGKILL); its data is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { } p)
        {
            p.Kill();
            await p.WaitForExitAsync();
            p.Dispose();
            _process = null;
        }
    }

    /// <summary>A separate connection for the test's own reads.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync() => ConnectionMultiplexer.ConnectAsync(ConnectionString);

    public async ValueTask DisposeAsync() => await KillAsync();

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
