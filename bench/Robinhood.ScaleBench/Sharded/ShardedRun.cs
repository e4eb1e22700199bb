using System.Globalization;
using System.Text;
using System.Text.Json;
using MathNet.Numerics.Statistics;
using Robinhood.Controller.Hosting;
using Robinhood.Controller.Tests.Kubernetes;
using Robinhood.Controller.Tests.Persistence;
using Robinhood.ScaleBench.Hosting;
using Robinhood.ScaleBench.Load;
using Robinhood.ScaleBench.Scraping;
using Robinhood.ScaleBench.Watch;
using StackExchange.Redis;

namespace Robinhood.ScaleBench.Sharded;

/// <summary>
/// <c>sharded</c>: controller replicas as their own processes sharing the services over shard Leases on the in-process
/// Kubernetes API server (its own process: <see cref="KubernetesApiProcess"/>; membership from its EndpointSlices), state
/// and snapshots in one real redis-server. Each
/// replica gets a third of the agents (most of their reports are for services another replica owns, and are
/// forwarded) and a third of the watchers, all of one service (a follower serves it from Redis). Prints, per replica,
/// its CPU and RSS, its own tick and push histograms, the services it owns and the shards it lost in the window, the
/// reports it applied and forwarded, and the fan-out to its watchers; and the CPU of redis-server, of the API server
/// and of this process.
/// </summary>
public static class ShardedRun
{
    public const string Command = "sharded";

    internal const string Namespace = "robinhood";
    private const string TickHistogram = "robinhood_controller_tick_duration_seconds";
    private const string PushHistogram = "robinhood_controller_push_latency_seconds";
    private const string Accepted = "robinhood_controller_reports_total{outcome=\"accepted\",reason=\"\"}";
    private const string ForwardedAccepted = "robinhood_controller_reports_forwarded_total{outcome=\"accepted\"}";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(string[] args)
    {
        var endpoints = Arg(args, "--endpoints", 30_000);
        var replicaCount = Arg(args, "--replicas", 3);
        var watchers = Arg(args, "--watchers", 3_000);
        var seconds = Arg(args, "--seconds", 60);
        var shards = Arg(args, "--shards", 2 * replicaCount);
        var output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine(Path.GetTempPath(), "robinhood-sharded");
        Directory.CreateDirectory(output);
        var layout = new FleetLayout(100);
        var services = layout.Services(endpoints);
        var load = File.ReadAllText("/proc/loadavg").Trim();
        var started = DateTimeOffset.UtcNow;

        // The Kubernetes API server in its own process, as in a cluster: Lease calls are not served by the thread pool
        // of this process, which the agents and the watchers keep busy.
        await using var api = await KubernetesApiProcess.StartAsync(endpoints);
        await using var redis = await RedisServer.StartAsync();
        var dll = typeof(ControllerHost).Assembly.Location;
        var replicas = new List<ServerProcess>();
        try
        {
            for (var r = 0; r < replicaCount; r++)
            {
                Progress($"replica {r}");
                replicas.Add(await ServerProcess.StartAsync(dll,
                [
                    .. FakeKubernetesApiServer.ControllerArgs(api.Host, Namespace, $"replica-{r}"),
                    .. services.Select((s, i) => $"--Robinhood:Kubernetes:Services:{i}={s}"),
                    $"--Robinhood:Leadership:Shards={shards}",
                    // StackExchange.Redis's own timeouts (5 s a command), as a deployment has them, not the tests' 2 s.
                    $"--ConnectionStrings:Redis=127.0.0.1:{redis.Port}",
                    "--Robinhood:Control:Interval=00:00:01",
                    "--Robinhood:Control:StartupGrace=00:00:00",
                    // Kubernetes' own lease times and a longer restore than the tests' (3 s leases): on two cores also
                    // carrying the agents, the watchers and the API server, a 3 s lease or a 5 s restore expires
                    // under load and the shards change hands all window long.
                    "--Robinhood:Leadership:LeaseDuration=00:00:15",
                    "--Robinhood:Leadership:RenewDeadline=00:00:10",
                    "--Robinhood:Leadership:RetryPeriod=00:00:02",
                    "--Robinhood:Redis:RestoreTimeout=00:00:30",
                    // Shard moves and restores in the log, each line timed, to tell a slow restore from a starved one.
                    "--Logging:LogLevel:Robinhood.Controller.Leadership=Information",
                    "--Logging:Console:FormatterName=simple",
                    "--Logging:Console:FormatterOptions:SingleLine=true",
                    "--Logging:Console:FormatterOptions:TimestampFormat=HH:mm:ss.fff ",
                ], Path.Combine(output, $"replica-{r}.log")));
            }

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            while ((await Task.WhenAll(replicas.Select(OwnedAsync))).Sum(o => o.Shards) != shards)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"the {shards} shards were not all owned within 120 s");
                }

                await Task.Delay(500);
            }

            Progress($"{shards} shards owned; {endpoints:N0} endpoints reporting");
            var perReplica = endpoints / replicaCount;
            var fleets = replicas.Select((r, i) => new AgentFleet(r.GrpcAddress, 100, layout, perReplica, seed: 42 + (1000 * i), first: i * perReplica)).ToList();
            var watched = new[] { layout.Service(0) };
            var watcherFleets = replicas.Select(r => new WatcherFleet(r.GrpcAddress, watchers / replicaCount, 10, watched)).ToList();
            try
            {
                await Task.WhenAll(watcherFleets.Select(w => w.AllStarted)).WaitAsync(TimeSpan.FromSeconds(120));
                // New endpoints pass the 10 s warm-up; streams connect and the JIT tiers up.
                await Task.Delay(TimeSpan.FromSeconds(20));
                // The counters' span runs from the middle of one round of scrapes to the middle of the other.
                var scraping = DateTimeOffset.UtcNow;
                var before = await Task.WhenAll(replicas.Select(r => r.ScrapeAsync()));
                var scrapedBefore = scraping + ((DateTimeOffset.UtcNow - scraping) / 2);
                var redisPid = redis.Pid ?? throw new InvalidOperationException("redis-server is not running");
                var (cpu0, machine0, acked0) = (replicas.Select(r => r.Sample()).ToList(), MachineSample.Read(), fleets.Sum(f => f.Read().Acked));
                var (redis0, self0, api0) = (ProcessSample.Read(redisPid), ProcessSample.Read(Environment.ProcessId), ProcessSample.Read(api.Pid));
                var traffic0 = await RedisTrafficAsync(redis.Port);
                var from = DateTimeOffset.UtcNow;
                foreach (var w in watcherFleets)
                {
                    w.BeginWindow();
                }

                // Who owns what, every second of the window: a shard lost and taken again in between is counted.
                var window = TimeSpan.FromSeconds(seconds);
                var moves = await ShardMovesAsync(replicas, window);
                var until = DateTimeOffset.UtcNow;
                var (cpu1, machine1, acked1) = (replicas.Select(r => r.Sample()).ToList(), MachineSample.Read(), fleets.Sum(f => f.Read().Acked));
                var (redis1, self1, api1) = (ProcessSample.Read(redisPid), ProcessSample.Read(Environment.ProcessId), ProcessSample.Read(api.Pid));
                var traffic1 = await RedisTrafficAsync(redis.Port);
                var loadAfter = File.ReadAllText("/proc/loadavg").Trim();
                await Task.Delay(Interval);
                var deliveries = watcherFleets.Select(w => w.EndWindow()).ToList();
                scraping = DateTimeOffset.UtcNow;
                var after = await Task.WhenAll(replicas.Select(r => r.ScrapeAsync()));
                var counted = (scraping + ((DateTimeOffset.UtcNow - scraping) / 2) - scrapedBefore).TotalSeconds;
                var owned = await Task.WhenAll(replicas.Select(OwnedAsync));
                var refused = fleets.Sum(f => f.Read().Refused);
                if (fleets.Select(f => f.Read().Failure).FirstOrDefault(f => f is not null) is { } failure)
                {
                    throw new InvalidOperationException($"report traffic failed: {failure}");
                }

                var span = (until - from).TotalSeconds;
                var table = new StringBuilder();
                table.AppendLine(Inv($"Sharded run {started:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores (load average at start {load}; at the window's end {loadAfter}): {replicaCount} replicas, {shards} shards, {endpoints:N0} endpoints in {services.Count} services, {watchers:N0} watchers of {watched[0]} ({watchers / replicaCount:N0} per replica), {span:F0} s window."));
                table.AppendLine();
                table.AppendLine("| replica | shards (services) owned | shard losses in the window | CPU, cores | RSS, MB | tick p50 / p99 (ticks; over 10 ms) | reports/s applied | reports/s forwarded (accepted) | push p50 / p99 (its own histogram) | tick → last of its watchers p50 / p99 (ticks) |");
                table.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
                for (var r = 0; r < replicas.Count; r++)
                {
                    var ticks = after[r].Histogram(TickHistogram).Since(before[r].Histogram(TickHistogram));
                    var push = after[r].Histogram(PushHistogram).Since(before[r].Histogram(PushHistogram));
                    var forwarded = Delta(before[r], after[r], ForwardedAccepted);
                    var applied = Delta(before[r], after[r], Accepted) - forwarded;
                    var fanOut = TickFanOut.Group(deliveries[r], Interval).Where(t => t.FirstComputedAt >= from && t.FirstComputedAt < until).Select(t => t.ToLastWatcherMs).ToList();
                    var fan = fanOut.Count > 0 ? Inv($"{fanOut.Quantile(0.5):F1} / {fanOut.Quantile(0.99):F1} ms ({fanOut.Count})") : "none";
                    var pushed = push.Total > 0 ? Inv($"{push.Quantile(0.5) * 1000:F1} / {push.Quantile(0.99) * 1000:F1} ms") : "none";
                    table.AppendLine(Inv($"| {r} | {owned[r].Shards} ({owned[r].Services}) | {moves[r]} | {ProcessSample.Cores(cpu0[r], cpu1[r]):F2} | {cpu1[r].RssBytes / 1e6:F0} | {ticks.Quantile(0.5) * 1000:F2} / {ticks.Quantile(0.99) * 1000:F2} ms ({ticks.Total:F0}; {ticks.Above(0.01):F0}) | {applied / counted:N0} | {forwarded / counted:N0} | {pushed} | {fan} |"));
                }

                var replicaCores = replicas.Select((_, r) => ProcessSample.Cores(cpu0[r], cpu1[r])).Sum();
                table.AppendLine();
                table.AppendLine(Inv($"Reports acked {(acked1 - acked0) / span:N0}/s of {endpoints:N0} endpoints ({refused:N0} refused over the run). Cores in the window: the replicas {replicaCores:F2}, redis-server {ProcessSample.Cores(redis0, redis1):F2}, the Kubernetes API server {ProcessSample.Cores(api0, api1):F2}, this process (the agents and the watchers) {ProcessSample.Cores(self0, self1):F2}; the machine's busy cores {MachineSample.Cores(machine0, machine1):F2} of {Environment.ProcessorCount} (the rest is other people's work)."));
                var (bytesIn, bytesOut) = ((traffic1.In - traffic0.In) / span, (traffic1.Out - traffic0.Out) / span);
                table.AppendLine();
                table.AppendLine(Inv($"Redis traffic in the window (its INFO stats): {bytesIn / 1e6:F2} MB/s into redis-server ({bytesIn / replicaCount / 1e6:F2} MB/s per replica: every replica owns shards and writes them), {bytesOut / 1e6:F2} MB/s out of it (resync reads, pub/sub deliveries, replies); {(traffic1.Written - traffic0.Written) / span:N0} script calls/s (a write of one service's snapshot and state is one), {traffic1.StateBytes / Math.Max(1, traffic1.States):N0} bytes a stored state and {traffic1.SnapshotBytes / Math.Max(1, traffic1.States):N0} a stored snapshot at the window's end ({traffic1.States:N0} services)."));
                var markdown = table.ToString();
                Console.WriteLine(markdown);
                await File.WriteAllTextAsync(Path.Combine(output, "sharded.md"), markdown);
            }
            finally
            {
                foreach (var w in watcherFleets)
                {
                    await w.DisposeAsync();
                }

                foreach (var f in fleets)
                {
                    await f.DisposeAsync();
                }
            }
        }
        finally
        {
            foreach (var r in replicas)
            {
                await r.DisposeAsync();
            }
        }

        return 0;
    }

    /// <summary>
    /// Polls every replica's <c>/api/shards</c> each second for <paramref name="window"/>; per replica, how many times a
    /// shard it owned at one poll was not owned at the next.
    /// </summary>
    private static async Task<int[]> ShardMovesAsync(IReadOnlyList<ServerProcess> replicas, TimeSpan window)
    {
        var losses = new int[replicas.Count];
        var last = new Dictionary<int, int>?[replicas.Count];
        var end = DateTime.UtcNow + window;
        while (DateTime.UtcNow < end)
        {
            var next = Task.Delay(TimeSpan.FromSeconds(1));
            var now = await Task.WhenAll(replicas.Select(OwnedShardsAsync));
            for (var r = 0; r < replicas.Count; r++)
            {
                if (now[r] is { } owned)
                {
                    losses[r] += last[r]?.Keys.Count(s => !owned.ContainsKey(s)) ?? 0;
                    last[r] = owned;
                }
            }

            await next;
        }

        return losses;
    }

    /// <summary>The shards a replica owns now and their service counts, from its <c>/api/shards</c>; null when it did not answer.</summary>
    private static async Task<Dictionary<int, int>?> OwnedShardsAsync(ServerProcess replica)
    {
        try
        {
            using var json = JsonDocument.Parse(await replica.Http.GetStringAsync("/api/shards"));
            return json.RootElement.GetProperty("shards").EnumerateArray().Where(s => s.GetProperty("owned").GetBoolean())
                .ToDictionary(s => s.GetProperty("shard").GetInt32(), s => s.GetProperty("serviceCount").GetInt32());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>How many shards a replica owns and their services (none when it did not answer).</summary>
    private static async Task<(int Shards, int Services)> OwnedAsync(ServerProcess replica) =>
        await OwnedShardsAsync(replica) is { } owned ? (owned.Count, owned.Values.Sum()) : (0, 0);

    /// <summary>
    /// redis-server's own byte counters (<c>INFO stats</c>: <c>total_net_input_bytes</c>, <c>total_net_output_bytes</c>),
    /// its script calls so far, and the stored states' and snapshots' sizes now (<c>STRLEN</c> of every service's keys).
    /// </summary>
    private static async Task<(double In, double Out, double Written, long States, long StateBytes, long SnapshotBytes)> RedisTrafficAsync(int port)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true,abortConnect=false");
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var stats = (await server.InfoAsync("all")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        double Stat(string key) => double.Parse(stats[key], CultureInfo.InvariantCulture);
        // cmdstat_evalsha: calls=N,usec=...; the writes and claims are scripts.
        var scripts = stats.TryGetValue("cmdstat_evalsha", out var evalsha) ? double.Parse(evalsha.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture) : 0;
        var db = connection.GetDatabase();
        var names = await db.SetMembersAsync("robinhood:services");
        var states = await Task.WhenAll(names.Select(n => db.StringLengthAsync($"robinhood:{{{n}}}:state")));
        var snapshots = await Task.WhenAll(names.Select(n => db.StringLengthAsync($"robinhood:{{{n}}}:snapshot")));
        return (Stat("total_net_input_bytes"), Stat("total_net_output_bytes"), scripts, names.Length, states.Sum(), snapshots.Sum());
    }

    private static double Delta(PrometheusText before, PrometheusText after, string series) => (after.Value(series) ?? 0) - (before.Value(series) ?? 0);

    internal static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i < 0 ? fallback
            : i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
            : throw new FormatException($"{name} must be a positive integer");
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static void Progress(string line) => Console.Error.WriteLine($"[{DateTimeOffset.Now:HH:mm:ss}] {line}");
}
