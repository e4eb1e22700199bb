using System.Diagnostics;
using System.Text.Json;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Tests.Auth;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Dashboard;

/// <summary>
/// The live dashboard page in headless Chromium (Debian's chromium driven by playwright-core,
/// tests/browser/dashboard.test.mjs) against the real host with the demo fleet reporting over gRPC.
/// Missing chromium, node or npm fails the test saying what to install: it never skips.
/// </summary>
[Collection(ReadRefusalsCollection.Name)]
public sealed class DashboardBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromMinutes(4);
    private static readonly string Root = RepositoryRoot.Path;
    private static readonly string BrowserTests = Path.Combine(Root, "tests", "browser");

    // `npm ci` once per test run: it wipes and reinstalls node_modules.
    private static readonly Lazy<Task<ProcessResult>> NpmCi = new(() =>
        RunAsync("npm", ["ci", "--no-audit", "--no-fund"], BrowserTests, new Dictionary<string, string>()));

    [Fact]
    public async Task Dashboard_FleetReporting_ShowsEndpointsConvergingInNumericOrderWithTheModeAndOverridesInChromium()
    {
        var chromium = await BrowserAsync();
        const string token = "admin-token-for-the-browser-test";
        await using var controller = await RunningController.StartAsync(null,
            $"--Robinhood:Admin:Token={token}",
            "--Robinhood:Demo:Endpoints=12",
            "--Robinhood:Control:Interval=00:00:00.100",
            "--Robinhood:Control:WarmUp=00:00:01");
        // The README's picture comes from the quickstart itself (docs/dashboard-screenshot.sh); this one proves the page renders.
        var screenshot = Path.Combine(Path.GetTempPath(), $"robinhood-dashboard-{Environment.ProcessId}.png");
        var started = DateTime.UtcNow;

        var run = await RunAsync("node", ["--test", "--test-reporter=tap", Path.Combine("tests", "browser", "dashboard.test.mjs")], Root, new Dictionary<string, string>
        {
            ["ROBINHOOD_DASHBOARD_URL"] = new Uri(controller.Http.BaseAddress!, "/dashboard").ToString(),
            ["ROBINHOOD_SERVICE"] = "demo",
            ["ROBINHOOD_MIN_ENDPOINTS"] = "12",
            ["ROBINHOOD_ADMIN_TOKEN"] = token,
            ["ROBINHOOD_SCREENSHOT"] = screenshot,
            ["CHROMIUM_PATH"] = chromium,
        });

        Assert.True(run.ExitCode == 0, $"the browser test failed: {run}");
        Assert.Contains("# pass 5", run.Output, StringComparison.Ordinal);
        Assert.Contains("# fail 0", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("not ok", run.Output, StringComparison.Ordinal);
        var png = new FileInfo(screenshot);
        Assert.True(png.Exists && png.LastWriteTimeUtc >= started.AddSeconds(-1), $"no fresh screenshot at {screenshot}");
        Assert.True(png.Length > 10_000, $"screenshot of {png.Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(screenshot)[..4]);
    }

    [Fact]
    public async Task Dashboard_ReadTokenOn_AsksForItThenShowsTheWeightsAndKeepsItForTheTabInChromium()
    {
        var chromium = await BrowserAsync();
        const string token = "read-token-for-the-browser-test";
        await using var controller = await RunningController.StartAsync(null,
            $"--Robinhood:Read:Token={token}",
            "--Robinhood:Demo:Endpoints=4",
            "--Robinhood:Control:Interval=00:00:00.200");

        var run = await RunAsync("node", ["--test", "--test-reporter=tap", Path.Combine("tests", "browser", "read-token.test.mjs")], Root, new Dictionary<string, string>
        {
            ["ROBINHOOD_DASHBOARD_URL"] = new Uri(controller.Http.BaseAddress!, "/dashboard").ToString(),
            ["ROBINHOOD_SERVICE"] = "demo",
            ["ROBINHOOD_READ_TOKEN"] = token,
            ["CHROMIUM_PATH"] = chromium,
        });

        Assert.True(run.ExitCode == 0, $"the browser test failed: {run}");
        Assert.Contains("# pass 1", run.Output, StringComparison.Ordinal);
        Assert.Contains("# fail 0", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_MoreServicesThanAPage_PagesThroughAllOfThemInTheApiOrderWithEachOnesShardInChromium()
    {
        var chromium = await BrowserAsync();
        await using var controller = await RunningController.StartAsync(null, "--Robinhood:Control:Interval=00:00:00.100", "--Robinhood:Leadership:Shards=4");
        // Seven services at a page size of 3: pages of 3, 3 and 1; four shards, all this replica's (no Kubernetes).
        string[] reported = ["pay", "shop-10", "shop-2", "auth", "search", "cart", "shop-1"];
        using (var stream = new ReportStream(controller.Reporter))
        {
            foreach (var service in reported)
            {
                Assert.True((await stream.SendAsync(new LoadReport { Service = service, Endpoint = "10.0.0.1:80", CpuUtilization = 0.4, Sequence = 1 })).Accepted);
            }
        }

        // The API's own order, once every service has been ticked.
        string[] listed = [];
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (listed.Length != reported.Length)
        {
            Assert.True(DateTime.UtcNow < deadline, $"not every service listed within 20 s: {string.Join(',', listed)}");
            await Task.Delay(50);
            using var answer = JsonDocument.Parse(await controller.Http.GetStringAsync(new Uri("/api/services", UriKind.Relative)));
            listed = [.. answer.RootElement.EnumerateArray().Select(s => s.GetProperty("service").GetString()!)];
        }

        var run = await RunAsync("node", ["--test", "--test-reporter=tap", Path.Combine("tests", "browser", "paging.test.mjs")], Root, new Dictionary<string, string>
        {
            ["ROBINHOOD_DASHBOARD_URL"] = new Uri(controller.Http.BaseAddress!, "/dashboard?pageSize=3").ToString(),
            ["ROBINHOOD_SERVICES"] = string.Join(',', listed),
            ["ROBINHOOD_SHARDS"] = string.Join(',', listed.Select(new ShardMap(4).Of)),
            ["CHROMIUM_PATH"] = chromium,
        });

        Assert.True(run.ExitCode == 0, $"the browser test failed: {run}");
        Assert.Contains("# pass 1", run.Output, StringComparison.Ordinal);
        Assert.Contains("# fail 0", run.Output, StringComparison.Ordinal);
    }

    /// <summary>Chromium's path, once chromium, node and npm are there and tests/browser is installed.</summary>
    private static async Task<string> BrowserAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? Chromium;
        Assert.True(File.Exists(chromium),
            $"{chromium} not found: the dashboard browser test needs Debian's chromium (as root: apt-get install -y chromium, or set CHROMIUM_PATH)");
        Assert.True(OnPath("node") && OnPath("npm"), "node and npm are needed for tests/browser (apt-get install -y nodejs npm)");

        var install = await NpmCi.Value;
        Assert.True(install.ExitCode == 0, $"npm ci in tests/browser failed: {install}");
        return chromium;
    }

    private static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, command)));

    private static async Task<ProcessResult> RunAsync(string fileName, string[] args, string directory, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(NodeTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} ran longer than {NodeTimeout}: {await output}{await error}");
        }

        return new ProcessResult(process.ExitCode, await output, await error);
    }

    private sealed record ProcessResult(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n{Error}\n{Output}";
    }
}
