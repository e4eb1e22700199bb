using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;
using Robinhood.Charts.Tests.Helm;
using Robinhood.Controller.Tests.Kubernetes;

namespace Robinhood.Charts.Tests;

/// <summary>
/// The chart rendered with StaticToken auth, run: Redis, two controller replicas and the sidecar agent as real
/// processes with exactly the rendered environment, arguments and mounted files (Secrets and ConfigMaps written
/// under a temporary root, paths into mounts prefixed with it). Only what a cluster provides is substituted:
/// loopback ports for the pods' fixed ones, 127.0.0.1 for pod IPs and Service names, the in-process Kubernetes API.
/// The chart's read token is on (its generated Secret): the test reads with it, and is refused without it.
/// </summary>
[Collection(HelmCollection.Name)]
public sealed partial class StaticTokenEndToEndTests(HelmFixture helm) : IDisposable
{
    private const string AgentToken = "agent-3f9c1d7e5a";
    private const string ForwardToken = "forward-8b2e6a4c1f";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    // The Secrets an operator creates for auth.staticToken (values/static-token.yaml).
    private static readonly Dictionary<string, Dictionary<string, string>> OperatorSecrets = new()
    {
        ["robinhood-grants"] = new() { ["tokens"] = $"# node agents and sidecars\n{AgentToken} checkout=*\n# followers forwarding to the leader\n{ForwardToken} *=*\n" },
        ["robinhood-agent-token"] = new() { ["token"] = AgentToken },
        ["robinhood-forward-token"] = new() { ["token"] = ForwardToken },
    };

    private readonly string _root = Path.Join(Path.GetTempPath(), $"robinhood-chart-e2e-{Guid.NewGuid():N}");
    private readonly List<Process> _processes = [];
    private readonly StringBuilder _log = new();

    [Fact]
    public async Task StaticToken_RenderedControllerPairAndAgent_ReportAcceptedThroughTheFollowersForward()
    {
        var chart = helm.Render(ValueSets.StaticToken);
        await using var api = await FakeKubernetesApiServer.StartAsync();
        api.PutEndpointSlice(FakeKubernetesApiServer.Slice(HelmFixture.Namespace, "checkout-1", "checkout", 8080, ("127.0.0.1", "zone-a")));

        // Redis as its Deployment runs it, on a loopback port.
        var redisPort = FreePort();
        var redisPod = chart.Named<V1Deployment>("-redis").Spec.Template.Spec;
        var redis = Materialize(chart, "redis", redisPod, redisPod.Containers.Single());
        var redisArgs = redis.Args.Select(a => a == "6379" ? redisPort.ToString(System.Globalization.CultureInfo.InvariantCulture) : a).ToList();
        Start("redis", redisArgs[0], redisArgs.Skip(1), redis.Env, workingDirectory: redis.Root);

        // Two controller replicas, each holding one of the chart's two shards (as many as replicas): the
        // one controlling checkout leads it, the other forwards to it.
        var controllerPod = chart.Named<V1Deployment>("-controller").Spec.Template.Spec;
        var replicas = new List<(int Grpc, HttpClient Http)>();
        foreach (var name in new[] { "controller-a", "controller-b" })
        {
            var (grpc, http) = (FreePort(), FreePort());
            var rendered = Materialize(chart, name, controllerPod, controllerPod.Containers.Single());
            Assert.Equal("2", rendered.Env["Robinhood__Leadership__Shards"]);
            var env = new Dictionary<string, string>(rendered.Env)
            {
                ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{grpc}",
                ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{http}",
                ["Robinhood__Leadership__AdvertiseAddress"] = $"http://127.0.0.1:{grpc}",
                ["Robinhood__Kubernetes__Host"] = api.Host,
                ["ConnectionStrings__Redis"] = rendered.Env["ConnectionStrings__Redis"].Replace($"{HelmFixture.ReleaseName}-robinhood-redis:6379", $"127.0.0.1:{redisPort}", StringComparison.Ordinal),
            };
            Start(name, "dotnet", [HostDll("controller", "Robinhood.Controller")], env);
            var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}"), Timeout = TimeSpan.FromSeconds(10) };
            // Reads (/api, /metrics) need the read token of the Secret the chart generated, as the replica's env names it.
            client.DefaultRequestHeaders.Authorization = new("Bearer", rendered.Env["Robinhood__Read__Token"]);
            replicas.Add((grpc, client));
        }

        await EventuallyAsync(
            async () => (await OwnsCheckoutAsync(replicas[0].Http)) != (await OwnsCheckoutAsync(replicas[1].Http))
                && Metric(await MetricsAsync(replicas[0].Http), "robinhood_controller_leader") == 1
                && Metric(await MetricsAsync(replicas[1].Http), "robinhood_controller_leader") == 1,
            "each replica holds a shard, one of them checkout's");
        var (leading, follower) = await OwnsCheckoutAsync(replicas[0].Http) ? (replicas[0], replicas[1]) : (replicas[1], replicas[0]);
        var leader = leading.Http;
        using (var bare = new HttpClient { BaseAddress = leader.BaseAddress, Timeout = TimeSpan.FromSeconds(10) })
        {
            using var refused = await bare.GetAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // The sidecar example's agent, reporting to the follower.
        var examplePod = chart.Named<V1Deployment>("-sidecar-example").Spec.Template.Spec;
        var agent = Materialize(chart, "sidecar-example", examplePod, examplePod.Containers.Single(c => c.Name == "robinhood-agent"));
        var agentHttp = FreePort();
        Start("agent", "dotnet", [HostDll("agent", "Robinhood.Agent")], new Dictionary<string, string>(agent.Env)
        {
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{agentHttp}",
            ["Robinhood__Controller"] = $"http://127.0.0.1:{follower.Grpc}",
        });
        using var agentClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{agentHttp}"), Timeout = TimeSpan.FromSeconds(10) };

        // The agent's token is accepted by the follower, the follower's forward token by the leader.
        await EventuallyAsync(
            async () => Metric(await MetricsAsync(follower.Http), "robinhood_controller_reports_forwarded_total", "outcome=\"accepted\"") > 0,
            "the follower forwards the agent's reports and the leader accepts them");
        var leaderMetrics = await MetricsAsync(leader);
        Assert.True(Metric(leaderMetrics, "robinhood_controller_reports_total", "outcome=\"accepted\"") > 0, leaderMetrics);
        // The endpoint's gauge comes from the leader's latest tick, which covers it only once the
        // takeover grace is over and its reports are in: wait for it, under the same deadline.
        await EventuallyAsync(
            async () => Metric(await MetricsAsync(leader), "robinhood_controller_endpoint_utilization_ratio", "service=\"checkout\",endpoint=\"127.0.0.1:8080\"") is not null,
            "the leader controls the forwarded endpoint");
        // Both dashboards say who controls checkout: the leader names itself, the follower names the leader.
        await EventuallyAsync(
            async () => await DashboardShowsAsync(leader, "checkout") == (true, $"http://127.0.0.1:{leading.Grpc}")
                && await DashboardShowsAsync(follower.Http, "checkout") == (false, $"http://127.0.0.1:{leading.Grpc}"),
            "the dashboards say who controls checkout");
        var forwarded = await MetricsAsync(follower.Http);
        Assert.Null(Metric(forwarded, "robinhood_controller_reports_forwarded_total", "outcome=\"refused\""));
        var agentMetrics = await MetricsAsync(agentClient);
        Assert.True(Metric(agentMetrics, "robinhood_agent_reports_sent_total") > 0, agentMetrics);
        Assert.True(Metric(agentMetrics, "robinhood_agent_reports_refused_total") is null or 0, agentMetrics);
    }

    /// <summary>Whether the replica owns the shard checkout is in, from its <c>/api/shards</c>.</summary>
    private static async Task<bool> OwnsCheckoutAsync(HttpClient replica)
    {
        string json;
        try
        {
            json = await replica.GetStringAsync(new Uri("/api/shards", UriKind.Relative));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Not listening yet.
            return false;
        }

        using var shards = System.Text.Json.JsonDocument.Parse(json);
        return shards.RootElement.GetProperty("shards").EnumerateArray().Any(shard => shard.GetProperty("owned").GetBoolean()
            && shard.GetProperty("services").EnumerateArray().Any(service => service.GetString() == "checkout"));
    }

    /// <summary>Whether the replica's dashboard JSON says it controls the service, and the leader it names; (false, "absent") while it is not listed.</summary>
    private static async Task<(bool Controlled, string? Leader)> DashboardShowsAsync(HttpClient replica, string service)
    {
        using var services = System.Text.Json.JsonDocument.Parse(await replica.GetStringAsync(new Uri("/api/services", UriKind.Relative)));
        foreach (var shown in services.RootElement.EnumerateArray().Where(s => s.GetProperty("service").GetString() == service))
        {
            return (shown.GetProperty("controlled").GetBoolean(), shown.GetProperty("leader").GetString());
        }

        return (false, "absent");
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }

            process.Dispose();
        }

        Directory.Delete(_root, recursive: true);
    }

    /// <summary>One container as its pod would run it: files of its mounts under a root of its own, its environment resolved.</summary>
    private RenderedContainer Materialize(RenderedChart chart, string pod, V1PodSpec spec, V1Container container)
    {
        var root = Path.Join(_root, pod);
        foreach (var mount in container.VolumeMounts ?? [])
        {
            var volume = spec.Volumes.Single(v => v.Name == mount.Name);
            var directory = Path.Join(root, mount.MountPath);
            Directory.CreateDirectory(directory);
            var files = volume.Secret is { } secret ? SecretData(chart, secret.SecretName)
                : volume.ConfigMap is { } configMap ? chart.All<V1ConfigMap>().Single(c => c.Metadata.Name == configMap.Name).Data
                : new Dictionary<string, string>();
            foreach (var (key, value) in files)
            {
                File.WriteAllText(Path.Join(directory, key), value);
            }
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in container.Env ?? [])
        {
            var value = variable.ValueFrom switch
            {
                null => Expand(variable.Value ?? "", env),
                { FieldRef.FieldPath: "status.podIP" } => "127.0.0.1",
                { FieldRef.FieldPath: "metadata.namespace" } => HelmFixture.Namespace,
                { FieldRef.FieldPath: "metadata.name" } => pod,
                { FieldRef.FieldPath: "spec.nodeName" } => "node-1",
                { SecretKeyRef: { } reference } => SecretData(chart, reference.Name)[reference.Key],
                { ResourceFieldRef: { Resource: "limits.cpu" } reference } => Millicores(spec.Containers.Single(c => c.Name == reference.ContainerName)),
                _ => throw new InvalidOperationException($"{pod}: env {variable.Name} has a source this test does not provide"),
            };
            env[variable.Name] = (container.VolumeMounts ?? []).Any(m => value.StartsWith(m.MountPath + "/", StringComparison.Ordinal)) ? root + value : value;
        }

        var args = (container.Command ?? []).Concat(container.Args ?? []).Select(a => Expand(a, env)).Select(a => a == "/data" ? Path.Join(root, "/data") : a).ToList();
        return new RenderedContainer(root, env, args);
    }

    /// <summary>A Secret as the cluster would hold it: the operator's, or one the chart renders.</summary>
    private static Dictionary<string, string> SecretData(RenderedChart chart, string name) =>
        OperatorSecrets.TryGetValue(name, out var data)
            ? data
            : chart.All<V1Secret>().Single(s => s.Metadata.Name == name).Data.ToDictionary(d => d.Key, d => Encoding.UTF8.GetString(d.Value));

    private static string Millicores(V1Container container) =>
        ((int)Math.Ceiling((double)container.Resources.Limits["cpu"].ToDecimal() * 1000)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    // Kubernetes' $(VAR) expansion in env values and args, from the variables defined before.
    private static string Expand(string value, Dictionary<string, string> env) =>
        Reference().Replace(value, m => env.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    private static string HostDll(string part, string project)
    {
        // This test's own output is tests/<project>/bin/<configuration>/<tfm>/: run the host from its output of the same build.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = RepositoryRoot.Combine(part, project, "bin", output.Parent!.Name, output.Name, project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is not built", dll);
    }

    private void Start(string name, string fileName, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(args.First())!;
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in env)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start");
        process.OutputDataReceived += (_, e) => Log(name, e.Data);
        process.ErrorDataReceived += (_, e) => Log(name, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
    }

    private void Log(string name, string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.Append(name).Append(": ").AppendLine(line);
            }
        }
    }

    private static async Task<string> MetricsAsync(HttpClient client)
    {
        try
        {
            return await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Not listening yet.
            return "";
        }
    }

    /// <summary>The value of a series (with these labels, if given) in a Prometheus text exposition; null when absent.</summary>
    private static double? Metric(string exposition, string name, string? labels = null)
    {
        foreach (var line in exposition.Split('\n'))
        {
            var head = labels is null ? name + " " : $"{name}{{{labels}";
            if (line.StartsWith(head, StringComparison.Ordinal) && !line.StartsWith('#'))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline || _processes.Any(p => p.HasExited))
            {
                string log;
                lock (_log)
                {
                    log = _log.ToString();
                }

                Assert.Fail($"not before the deadline (or a process exited): {what}\n{log}");
            }

            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();

    private sealed record RenderedContainer(string Root, IReadOnlyDictionary<string, string> Env, IReadOnlyList<string> Args);
}
