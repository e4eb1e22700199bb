using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Robinhood.Agent;
using Robinhood.Agent.Measurement;
using Robinhood.Client.Tests.Support;
using Robinhood.V1;

namespace Robinhood.Client.Tests.EndToEnd;

/// <summary>
/// The whole loop, every part real: four HTTP backends whose capacity differs 4×, each with an embedded agent
/// reporting what its requests cost, the controller host, and Robinhood.Proxy carrying the traffic.
/// </summary>
public sealed class ClosedLoopTests
{
    private const string Service = "shop";
    private const int Rate = 250;
    private const int MaxInFlight = 50;
    private static readonly double[] Capacities = [50, 100, 150, 200];

    [Fact]
    public async Task Proxy_FourBackendsOfFourfoldCapacity_LoopBringsMaxOverAvgUtilizationTo110()
    {
        var (controller, controllerGrpc) = await Fleet.StartControllerAsync();
        await using var _ = controller;

        var backends = new List<CostedBackend>();
        for (var i = 0; i < Capacities.Length; i++)
        {
            backends.Add(await CostedBackend.StartAsync($"b{i}", Capacities[i], controllerGrpc));
        }

        await using var proxy = ProxyAddresses.Build(controllerGrpc, Service);
        await proxy.StartAsync();
        var proxyAddress = (await ProxyAddresses.OfAsync(proxy)).Traffic;

        try
        {
            using var http = new HttpClient();
            await ClientHost.WaitUntilAsync(
                async () =>
                {
                    using var response = await http.GetAsync(new Uri(proxyAddress, "/buy"));
                    return response.IsSuccessStatusCode;
                },
                "the proxy to learn the backends from the controller",
                timeoutMs: 15_000);
            var failures = 0;
            using var stop = new CancellationTokenSource();
            // 250 req/s against 500 req/s of capacity: average utilization 0.5; round robin would put b0 at 1.25.
            // Each beat sends what is due since the start: on a loaded machine the timer skips beats (PeriodicTimer
            // coalesces them), and five a beat delivered 144 req/s, 15 of them to b0, whose per-second count then
            // moves its reported utilization 7% a request. At most MaxInFlight at once: what a machine too loaded to
            // serve the rate cannot take is dropped, not kept for a burst (unbounded, the backlog's connections ran
            // the machine out of file descriptors).
            var run = Task.Run(async () =>
            {
                using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
                var pending = new List<Task>();
                var inFlight = 0;
                var started = Stopwatch.StartNew();
                for (long sent = 0; !stop.IsCancellationRequested && await pace.WaitForNextTickAsync();)
                {
                    for (var due = (long)(started.Elapsed.TotalSeconds * Rate); sent < due; sent++)
                    {
                        if (Volatile.Read(ref inFlight) < MaxInFlight)
                        {
                            Interlocked.Increment(ref inFlight);
                            pending.Add(SendAsync(http, proxyAddress, () => Interlocked.Increment(ref failures), () => Interlocked.Decrement(ref inFlight)));
                        }
                    }
                }

                await Task.WhenAll(pending);
            });

            // Converged = two consecutive 3 s windows of served requests at max/avg ≤ 1.10; no fixed wait,
            // a 40 s deadline instead.
            var window = TimeSpan.FromSeconds(3);
            var deadline = DateTime.UtcNow.AddSeconds(40);
            var good = 0;
            double[] utilization = [];
            var ratio = double.NaN;
            using (var measure = new PeriodicTimer(window))
            {
                var before = backends.Select(b => b.Served).ToArray();
                while (good < 2 && DateTime.UtcNow < deadline && await measure.WaitForNextTickAsync())
                {
                    var now = backends.Select(b => b.Served).ToArray();
                    utilization = [.. now.Select((n, i) => (n - before[i]) / window.TotalSeconds / Capacities[i])];
                    ratio = utilization.Max() / utilization.Average();
                    good = ratio <= 1.10 ? good + 1 : 0;
                    before = now;
                }
            }

            await stop.CancelAsync();
            await run;

            Assert.True(failures == 0, $"{failures} failed requests; max/avg {ratio:F3}");
            Assert.True(good == 2, $"max/avg utilization {ratio:F3} (utilization {string.Join(", ", utilization.Select(u => u.ToString("F2")))}) after 40 s");
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    private static async Task SendAsync(HttpClient http, Uri proxy, Action failed, Action done)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(proxy, "/buy"));
            if (!response.IsSuccessStatusCode)
            {
                failed();
            }
        }
        catch (HttpRequestException)
        {
            failed();
        }
        finally
        {
            done();
        }
    }

    /// <summary>A backend that serves requests and, through the embedded agent, reports their cost against its capacity.</summary>
    private sealed class CostedBackend : ILoadSource, IAsyncDisposable
    {
        private readonly string _endpoint;
        private readonly double _capacity;
        private readonly RecentRate _rate = new();
        private WebApplication _app = null!;
        private int _served;

        private CostedBackend(string endpoint, double capacity)
        {
            _endpoint = endpoint;
            _capacity = capacity;
        }

        public int Served => Volatile.Read(ref _served);

        public static async Task<CostedBackend> StartAsync(string name, double capacity, Uri controller)
        {
            var port = RecentRate.FreePort();
            var backend = new CostedBackend($"127.0.0.1:{port}", capacity);
            var builder = WebApplication.CreateSlimBuilder();
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Kestrel:Endpoints:Http:Url"] = $"http://127.0.0.1:{port}",
                ["Robinhood:Controller"] = controller.ToString(),
                ["Robinhood:Agent:Service"] = Service,
                ["Robinhood:Agent:Endpoint"] = backend._endpoint,
                ["Robinhood:Agent:ReportInterval"] = "00:00:00.250",
                ["Robinhood:Agent:ReconnectInitialDelay"] = "00:00:00.100",
            });
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<ILoadSource>(backend);
            builder.Services.AddRobinhoodAgent(builder.Configuration);
            var app = builder.Build();
            app.UseRobinhoodInFlight();
            app.Run(context =>
            {
                Interlocked.Increment(ref backend._served);
                backend._rate.Record();
                return context.Response.WriteAsync(name);
            });
            backend._app = app;
            await app.StartAsync();
            return backend;
        }

        /// <summary>Utilization = requests served in the last second / capacity per second.</summary>
        public ValueTask<IReadOnlyList<LoadReport>> MeasureAsync(CancellationToken cancellationToken)
        {
            var rate = _rate.PerSecond();
            IReadOnlyList<LoadReport> reports =
            [
                new LoadReport
                {
                    Service = Service,
                    Endpoint = _endpoint,
                    CpuUtilization = Math.Min(1, rate / _capacity),
                    RequestsPerSecond = rate,
                },
            ];
            return ValueTask.FromResult(reports);
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
