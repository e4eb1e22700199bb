using System.Diagnostics;
using System.Text.Json;
using Robinhood.Controller.Tests.Auth;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.V1;
using Xunit.Abstractions;

namespace Robinhood.Controller.Tests.Xds;

/// <summary>
/// An independent proxyless gRPC client, <c>@grpc/grpc-js-xds</c> from npm (tests/xds/proxyless.mjs), with
/// only a bootstrap naming the controller, calls four real grpc-js backends in two zones through
/// <c>xds:///split</c>: its calls follow the published weights, follow a change within 3 s, and go on
/// without errors once the controller is gone. Missing node or npm fails the test saying what to install.
/// </summary>
[Collection(ReadRefusalsCollection.Name)]
public sealed class ProxylessGrpcClientTests(ITestOutputHelper output)
{
    private const string Service = "split";
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(90);
    private static readonly string XdsTests = Path.Combine(RepositoryRoot.Path, "tests", "xds");

    [Fact]
    public async Task GrpcJsXds_FourBackendsTwoZones_SplitFollowsWeightsAndSurvivesTheControllerStopping()
    {
        Assert.True(OnPath("node") && OnPath("npm"), "node and npm are needed for tests/xds (apt-get install -y nodejs npm)");
        var install = await NpmCiAsync();
        Assert.True(install.ExitCode == 0, $"npm ci in tests/xds failed: {install.Output}");

        var controller = await RunningController.StartAsync();
        var grpcPort = new Uri(controller.GrpcAddress).Port;
        var bootstrap = Bootstrap(grpcPort);
        await using var client = NodeClient.Start(Path.Combine(XdsTests, "proxyless.mjs"), new()
        {
            ["GRPC_XDS_BOOTSTRAP_CONFIG"] = bootstrap,
            ["ROBINHOOD_SERVICE"] = Service,
        });
        var backends = (await client.ReadAsync(Step)).GetProperty("backends").EnumerateArray().Select(p => p.GetInt32()).ToArray();
        Assert.Equal(4, backends.Length);

        try
        {
            // Published weights 1000..4000 over two zones; the split over 12,000 calls is within 3% of them.
            uint[] weights = [1000, 2000, 3000, 4000];
            controller.Snapshots.Set([Snapshot(1, backends, weights)]);
            var first = await client.CommandAsync("calls 12000", Step);
            Assert.True(first.GetProperty("errors").GetInt32() == 0, $"errors: {first}");
            var split = Counts(first.GetProperty("counts"), backends);
            var distance = TotalVariation(split, weights);
            output.WriteLine($"12,000 calls: {string.Join(" / ", split)} against weights {string.Join(" / ", weights)}: TV distance {distance:P2}");
            Assert.True(distance <= 0.03, $"split {string.Join("/", split)} is {distance:P2} from the weights");

            // One backend's weight falls to an eighth: 3 s later the split is the new weights'.
            uint[] fallen = [1000, 2000, 3000, 500];
            controller.Snapshots.Set([Snapshot(2, backends, fallen)]);
            var watched = await client.CommandAsync("watch 8000", Step);
            Assert.True(watched.GetProperty("errors").GetInt32() == 0, $"errors: {watched.GetProperty("errors")} {watched.GetProperty("firstError")}");
            var buckets = watched.GetProperty("buckets").EnumerateArray().Select(b => Counts(b, backends)).ToList();
            var after = Sum(buckets.Skip(30)); // from 3.0 s after the change to the end (8 s)
            var afterDistance = TotalVariation(after, fallen);
            var followed = FirstFollowing(buckets, fallen);
            output.WriteLine($"after the weight fell: from 3 s on {after.Sum():N0} calls {string.Join(" / ", after)}, TV distance {afterDistance:P2}; " +
                $"the first 500 ms window within 3% ends {followed / 10.0:F1} s after the change");
            Assert.True(after.Sum() >= 1000, $"only {after.Sum()} calls from 3 s to 8 s after the change");
            Assert.True(afterDistance <= 0.03, $"3 s after the change the split {string.Join("/", after)} is {afterDistance:P2} from the new weights");
        }
        finally
        {
            await controller.DisposeAsync();
        }

        // The controller is gone: the client keeps its last resources and its calls keep working.
        var alone = await client.CommandAsync("watch 10000", Step);
        var calls = alone.GetProperty("buckets").EnumerateArray().Sum(b => b.EnumerateObject().Sum(p => p.Value.GetInt32()));
        output.WriteLine($"controller stopped: {calls:N0} calls in 10 s, {alone.GetProperty("errors").GetInt32()} errors {alone.GetProperty("firstError").GetString()}");
        Assert.True(alone.GetProperty("errors").GetInt32() == 0, $"errors without the controller: {alone.GetProperty("errors")} {alone.GetProperty("firstError")}");
        Assert.True(alone.GetProperty("buckets").GetArrayLength() >= 99, "the calls did not go on for 10 s");
        Assert.True(calls >= 1000, $"only {calls} calls in 10 s without the controller");
    }

    /// <summary>
    /// With a read token on the controller grpc-js-xds cannot get its resources: its bootstrap has no call
    /// credentials, so every call fails. With <c>Robinhood:Read:XdsWithoutToken</c> its calls follow the weights
    /// while Watch still needs the token.
    /// </summary>
    [Fact]
    public async Task GrpcJsXds_ReadTokenOn_CallsFailUnlessXdsWithoutToken()
    {
        Assert.True(OnPath("node") && OnPath("npm"), "node and npm are needed for tests/xds (apt-get install -y nodejs npm)");
        var install = await NpmCiAsync();
        Assert.True(install.ExitCode == 0, $"npm ci in tests/xds failed: {install.Output}");
        const string token = "read-token-for-the-xds-test";
        uint[] weights = [1000, 2000, 3000, 4000];

        foreach (var open in new[] { false, true })
        {
            await using var controller = await RunningController.StartAsync(null, $"--Robinhood:Read:Token={token}", $"--Robinhood:Read:XdsWithoutToken={open}");
            await using var client = NodeClient.Start(Path.Combine(XdsTests, "proxyless.mjs"), new()
            {
                ["GRPC_XDS_BOOTSTRAP_CONFIG"] = Bootstrap(new Uri(controller.GrpcAddress).Port),
                ["ROBINHOOD_SERVICE"] = Service,
            });
            var backends = (await client.ReadAsync(Step)).GetProperty("backends").EnumerateArray().Select(p => p.GetInt32()).ToArray();
            controller.Snapshots.Set([Snapshot(1, backends, weights)]);

            // Each call waits up to its 10 s deadline for resources the guarded controller never hands out.
            var result = await client.CommandAsync("calls 64", Step);
            var errors = result.GetProperty("errors").GetInt32();
            output.WriteLine($"XdsWithoutToken={open}: {64 - errors} of 64 calls answered, first error: {result.GetProperty("firstError").GetString()}");
            if (open)
            {
                Assert.True(errors == 0, $"errors with xDS open: {result}");
                Assert.Equal(64, Counts(result.GetProperty("counts"), backends).Sum());
                var watch = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
                {
                    using var call = controller.Discovery.Watch(new WatchRequest { Services = { Service } });
                    await call.ResponseStream.MoveNext(CancellationToken.None);
                });
                Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, watch.StatusCode);
            }
            else
            {
                Assert.True(errors == 64, $"calls answered through a guarded xDS server: {result}");
            }
        }
    }

    /// <summary>The contract's bootstrap; grpc-js-xds also wants node.locality present (it may be empty).</summary>
    private static string Bootstrap(int grpcPort) => JsonSerializer.Serialize(new
    {
        xds_servers = new[] { new { server_uri = $"127.0.0.1:{grpcPort}", channel_creds = new[] { new { type = "insecure" } }, server_features = new[] { "xds_v3" } } },
        node = new { id = "proxyless-test", locality = new { } },
    });

    private static WeightSnapshot Snapshot(ulong version, int[] ports, uint[] weights)
    {
        var snapshot = new WeightSnapshot { Service = Service, Version = version, ComputedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow) };
        for (var i = 0; i < ports.Length; i++)
        {
            snapshot.Endpoints.Add(new EndpointWeight
            {
                Endpoint = $"127.0.0.1:{ports[i]}",
                Zone = i < 2 ? "zone-a" : "zone-b",
                Weight = weights[i],
                State = EndpointState.Active,
            });
        }

        return snapshot;
    }

    private static int[] Counts(JsonElement counts, int[] ports) =>
        [.. ports.Select(p => counts.TryGetProperty(p.ToString(System.Globalization.CultureInfo.InvariantCulture), out var n) ? n.GetInt32() : 0)];

    private static int[] Sum(IEnumerable<int[]> buckets) =>
        buckets.Aggregate(new int[4], (total, b) => [.. total.Zip(b, (x, y) => x + y)]);

    /// <summary>Half the L1 distance between the observed shares and the weights' shares.</summary>
    private static double TotalVariation(int[] counts, uint[] weights)
    {
        double calls = counts.Sum(), total = weights.Sum(w => (double)w);
        return counts.Zip(weights, (c, w) => Math.Abs((c / calls) - (w / total))).Sum() / 2;
    }

    /// <summary>The 100 ms bucket that ends the first 500 ms window whose split is within 3% of the weights.</summary>
    private static int FirstFollowing(List<int[]> buckets, uint[] weights)
    {
        for (var end = 5; end <= buckets.Count; end++)
        {
            var window = Sum(buckets.Skip(end - 5).Take(5));
            if (window.Sum() > 0 && TotalVariation(window, weights) <= 0.03)
            {
                return end;
            }
        }

        return int.MaxValue;
    }

    private static async Task<(int ExitCode, string Output)> NpmCiAsync()
    {
        var start = new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund"])
        {
            WorkingDirectory = XdsTests,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var npm = Process.Start(start)!;
        var stdout = npm.StandardOutput.ReadToEndAsync();
        var stderr = npm.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await npm.WaitForExitAsync(timeout.Token);
        return (npm.ExitCode, await stdout + await stderr);
    }

    private static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, command)));

    /// <summary>The node process, one JSON object per line each way; killed at the end of the test.</summary>
    private sealed class NodeClient : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _errors = new();

        private NodeClient(Process process)
        {
            _process = process;
            _process.ErrorDataReceived += (_, e) =>
            {
                lock (_errors)
                {
                    _errors.AppendLine(e.Data);
                }
            };
            _process.BeginErrorReadLine();
        }

        public static NodeClient Start(string script, Dictionary<string, string> environment)
        {
            var start = new ProcessStartInfo("node", [script])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Path.GetDirectoryName(script)!,
            };
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }

            return new NodeClient(Process.Start(start) ?? throw new InvalidOperationException("node did not start"));
        }

        public async Task<JsonElement> CommandAsync(string command, TimeSpan within)
        {
            await _process.StandardInput.WriteLineAsync(command);
            await _process.StandardInput.FlushAsync();
            return await ReadAsync(within);
        }

        public async Task<JsonElement> ReadAsync(TimeSpan within)
        {
            using var timeout = new CancellationTokenSource(within);
            var line = await _process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                string errors;
                lock (_errors)
                {
                    errors = _errors.ToString();
                }

                Assert.Fail($"the node client ended: {errors}");
            }

            return JsonDocument.Parse(line).RootElement.Clone();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }
}
