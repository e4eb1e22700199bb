using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace Robinhood.Controller.Tests.Persistence;

/// <summary>
/// A real Redis Cluster of three masters without replicas (<c>redis-server --cluster-enabled yes</c> on three
/// loopback ports, joined by <c>redis-cli --cluster create</c>), without persistence; every node is killed on dispose.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly List<Process> _nodes = [];
    private readonly string _directory = Directory.CreateTempSubdirectory("robinhood-redis-cluster-").FullName;

    private RedisCluster()
    {
    }

    public IReadOnlyList<int> Ports { get; private set; } = [];

    /// <summary>The StackExchange.Redis configuration string (<c>ConnectionStrings:Redis</c>): every node; the client finds the slots.</summary>
    public string ConnectionString =>
        string.Join(',', Ports.Select(p => $"127.0.0.1:{p}")) + ",abortConnect=false,connectTimeout=1000,syncTimeout=2000,asyncTimeout=2000";

    public static async Task<RedisCluster> StartAsync(int masters = 3)
    {
        var cluster = new RedisCluster();
        try
        {
            await cluster.CreateAsync(masters);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A separate connection for the test's own reads.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync() => ConnectionMultiplexer.ConnectAsync(ConnectionString);

    /// <summary>The port of the node serving <paramref name="key"/>'s slot.</summary>
    public static int NodeOf(IConnectionMultiplexer connection, RedisKey key)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return ((System.Net.IPEndPoint)connection.GetServers()[0].ClusterConfiguration!.GetBySlot(key)!.EndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (!node.HasExited)
            {
                node.Kill();
                await node.WaitForExitAsync();
            }

            node.Dispose();
        }

        _nodes.Clear();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task CreateAsync(int masters)
    {
        var ports = new List<int>();
        for (var i = 0; i < masters; i++)
        {
            var port = RedisServer.FreePort();
            ports.Add(port);
            _nodes.Add(await RedisServer.StartProcessAsync(
                port,
                "--cluster-enabled", "yes",
                "--cluster-port", RedisServer.FreePort().ToString(CultureInfo.InvariantCulture),
                "--cluster-config-file", Path.Combine(_directory, $"nodes-{port}.conf"),
                "--cluster-node-timeout", "5000",
                "--dir", _directory));
        }

        Ports = ports;
        await RedisCliAsync(["--cluster", "create", .. ports.Select(p => $"127.0.0.1:{p}"), "--cluster-replicas", "0", "--cluster-yes"]);

        // Every node agrees: all 16384 slots assigned and the state ok.
        var deadline = DateTime.UtcNow + Deadline;
        await using var probe = await ConnectionMultiplexer.ConnectAsync(string.Join(',', ports.Select(p => $"127.0.0.1:{p}")) + ",connectTimeout=1000,allowAdmin=true");
        foreach (var port in ports)
        {
            while (!(await probe.GetServer("127.0.0.1", port).ExecuteAsync("CLUSTER", "INFO")).ToString().Contains("cluster_state:ok", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the cluster's node 127.0.0.1:{port} did not reach cluster_state:ok within {Deadline}");
                await Task.Delay(50);
            }
        }
    }

    private static async Task RedisCliAsync(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("redis-cli")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("redis-cli did not start");
        using var timeout = new CancellationTokenSource(Deadline);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"redis-cli {string.Join(' ', start.ArgumentList)} did not finish within {Deadline}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"redis-cli {string.Join(' ', start.ArgumentList)} exited {process.ExitCode}: {await output}{await error}");
        }
    }
}
