using System.Diagnostics;
using System.Globalization;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Robinhood.Controller.Hosting;
using Robinhood.ScaleBench.Hosting;
using Robinhood.ScaleBench.Scraping;
using Robinhood.V1;

namespace Robinhood.ScaleBench.Attack;

/// <summary>
/// <c>attack</c>: the controller as its own process with its defaults, attacked from this one as a careless or
/// hostile client would (docs/trust.md): one stream inventing 200,000 services, many streams doing so
/// together, and Watch requests naming 100,000 services or many at the 1,000-name limit. Prints Markdown
/// tables of what the controller refused, its RSS and managed heap before, at the peak and after each
/// attack (after the watchers left: polled until back within 100 MB), and its ticks during the attack
/// against windows without one just before and after it, beside the machine's busy cores in each window.
/// </summary>
public static class AttackRun
{
    public const string Command = "attack";

    private const string TickHistogram = "robinhood_controller_tick_duration_seconds";
    private const string ManagedMemory = "dotnet_total_memory_bytes";

    private static readonly TimeSpan Baseline = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);
    private const long BackWithinBytes = 100L * 1024 * 1024;
    private static readonly TimeSpan BackDeadline = TimeSpan.FromSeconds(120);

    private sealed record Attack(string Key, string Name, bool PollBack, Func<GrpcChannel, Task<(long Accepted, string Refused)>> Run);

    private static readonly Attack[] Attacks =
    [
        new("invent", "one stream invents 200,000 services", false, c => InventAsync(c, streams: 1, perStream: 200_000)),
        new("invent-many", "20 streams invent 10,000 services each", false, c => InventAsync(c, streams: 20, perStream: 10_000)),
        new("watch-100k", "3 Watch requests of 100,000 names", true, c => WatchAsync(c, watches: 3, names: 100_000, hold: TimeSpan.Zero)),
        new("watchers", "300 Watch requests of 1,000 unknown names, held 10 s, then gone", true, c => WatchAsync(c, watches: 300, names: 1_000, hold: TimeSpan.FromSeconds(10))),
    ];

    public static string Usage =>
        $"attack OUT [ATTACK...]: ATTACK of {string.Join(", ", Attacks.Select(a => a.Key))} (default all, in that order); " +
        "arguments after -- go to the controller";

    public static async Task<int> RunAsync(string[] args)
    {
        var split = Array.IndexOf(args, "--");
        var own = split >= 0 ? args[..split] : args;
        var controllerArgs = split >= 0 ? args[(split + 1)..] : [];
        var output = own.Length > 0 ? own[0] : "attack-out";
        var chosen = own.Length > 1 ? own[1..].Select(k => Attacks.FirstOrDefault(a => a.Key == k)).ToList() : [.. Attacks];
        if (chosen.Any(a => a is null))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        Directory.CreateDirectory(output);
        var dll = typeof(ControllerHost).Assembly.Location;
        var held = new StringBuilder();
        held.AppendLine("| attack | accepted | refused (reason) | RSS before → peak → after | back within 100 MB | managed heap before → end → after | controller CPU (cores) |");
        held.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        var ticks = new StringBuilder();
        ticks.AppendLine("| attack | window | length | machine busy (cores of 2) | load average (1 min) | controller CPU (cores) | ticks | tick p50 | tick p99 | slowest tick (bucket) |");
        ticks.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        await using (var controller = await ServerProcess.StartAsync(dll, ["--Robinhood:Control:Interval=00:00:01", .. controllerArgs], Path.Combine(output, "controller.log")))
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            using var channel = GrpcChannel.ForAddress(controller.GrpcAddress, new GrpcChannelOptions
            {
                MaxSendMessageSize = MessageLimits.MaxRequestBytes,
                MaxReceiveMessageSize = MessageLimits.MaxSnapshotBytes,
            });
            foreach (var attack in chosen)
            {
                var (heldRow, tickRows) = await MeasureAsync(controller, channel, attack!);
                held.AppendLine(heldRow);
                ticks.Append(tickRows);
            }
        }

        var markdown = $"{held}\n{ticks}";
        Console.WriteLine(markdown);
        await File.WriteAllTextAsync(Path.Combine(output, "attack.md"), markdown);
        return 0;
    }

    /// <summary>
    /// One attack: a window without it, the attack with RSS sampled for its peak, then the controller left alone
    /// (for watchers: until RSS is back within 100 MB of before, or the deadline).
    /// </summary>
    private static async Task<(string Held, string Ticks)> MeasureAsync(ServerProcess controller, GrpcChannel channel, Attack attack)
    {
        Console.Error.WriteLine($"[{DateTimeOffset.Now:HH:mm:ss}] {attack.Name}: baseline");
        var quiet = await Window.OpenAsync(controller);
        await Task.Delay(Baseline);
        var (quietEnd, quietRow) = await quiet.CloseAsync(controller, attack.Name, "no attack (before)");

        Console.Error.WriteLine($"[{DateTimeOffset.Now:HH:mm:ss}] {attack.Name}: attack");
        var during = quietEnd;
        using var stop = new CancellationTokenSource();
        var peak = Task.Run(async () =>
        {
            var max = 0L;
            while (!stop.IsCancellationRequested)
            {
                max = Math.Max(max, controller.Sample().RssBytes);
                await Task.Delay(250, CancellationToken.None);
            }

            return max;
        });
        var (accepted, refused) = await attack.Run(channel);
        await stop.CancelAsync();
        var (attackEnd, attackRow) = await during.CloseAsync(controller, attack.Name, "attack");
        var peakRss = Math.Max(await peak, attackEnd.Process.RssBytes);

        Console.Error.WriteLine($"[{DateTimeOffset.Now:HH:mm:ss}] {attack.Name}: after");
        var before = quiet.Process.RssBytes;
        var left = Stopwatch.StartNew();
        var back = "";
        if (attack.PollBack)
        {
            while (controller.Sample().RssBytes > before + BackWithinBytes && left.Elapsed < BackDeadline)
            {
                await Task.Delay(1000);
            }

            back = controller.Sample().RssBytes <= before + BackWithinBytes
                ? string.Create(CultureInfo.InvariantCulture, $"yes, {left.Elapsed.TotalSeconds:F0} s after they left")
                : $"no, not within {BackDeadline.TotalSeconds:F0} s";
        }

        if (left.Elapsed < Settle)
        {
            await Task.Delay(Settle - left.Elapsed);
        }

        // What the attack left: the state it made and anything the controller does once it is over.
        var after = await Window.OpenAsync(controller);
        await Task.Delay(Baseline);
        var (_, afterRow) = await after.CloseAsync(controller, attack.Name, "no attack (after)");
        var heldRow = string.Create(CultureInfo.InvariantCulture,
            $"| {attack.Name} | {accepted:N0} | {refused} | {Mb(before)} → {Mb(peakRss)} → {Mb(after.Process.RssBytes)} MB | {(back.Length > 0 ? back : "-")} | {Mb(quiet.Heap)} → {Mb(attackEnd.Heap)} → {Mb(after.Heap)} MB | {ProcessSample.Cores(quietEnd.Process, attackEnd.Process):F2} |");
        return (heldRow, quietRow + attackRow + afterRow);
    }

    /// <summary>The controller and the machine at the start of a window; closing it gives the window's row.</summary>
    private sealed record Window(ProcessSample Process, MachineSample Machine, double LoadAverage, CumulativeHistogram Ticks, long Heap)
    {
        public static async Task<Window> OpenAsync(ServerProcess controller)
        {
            var scrape = await controller.ScrapeAsync();
            return new Window(controller.Sample(), MachineSample.Read(), ReadLoadAverage(), scrape.Histogram(TickHistogram), (long)(scrape.Value(ManagedMemory) ?? 0));
        }

        public async Task<(Window End, string Row)> CloseAsync(ServerProcess controller, string attack, string window)
        {
            var end = await OpenAsync(controller);
            var ticks = end.Ticks.Since(Ticks);
            var slowest = ticks.Bounds.Where((_, i) => ticks.Counts[i] > (i > 0 ? ticks.Counts[i - 1] : 0)).DefaultIfEmpty(double.NaN).Last();
            var row = string.Create(CultureInfo.InvariantCulture,
                $"| {attack} | {window} | {(end.Process.At - Process.At).TotalSeconds:F0} s | {MachineSample.Cores(Machine, end.Machine):F2} | {LoadAverage:F1} → {end.LoadAverage:F1} | {ProcessSample.Cores(Process, end.Process):F2} | {ticks.Total:N0} | {Ms(ticks.Quantile(0.5))} | {Ms(ticks.Quantile(0.99))} | ≤ {slowest * 1000:G} ms |\n");
            return (end, row);
        }

        private static double ReadLoadAverage() =>
            double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

        private static string Ms(double seconds) => (seconds * 1000).ToString("F1", CultureInfo.InvariantCulture) + " ms";
    }

    /// <summary>Streams of reports, each for a service of its own, pipelined; counts the acks by outcome.</summary>
    private static async Task<(long Accepted, string Refused)> InventAsync(GrpcChannel channel, int streams, int perStream)
    {
        var client = new LoadReporter.LoadReporterClient(channel);
        var results = await Task.WhenAll(Enumerable.Range(0, streams).Select(async s =>
        {
            using var call = client.Report(deadline: DateTime.UtcNow.AddMinutes(10));
            var reading = Task.Run(async () =>
            {
                var counts = new Dictionary<string, long>(StringComparer.Ordinal);
                while (await call.ResponseStream.MoveNext())
                {
                    var ack = call.ResponseStream.Current;
                    var key = ack.Accepted ? "accepted" : Reason(ack.Error);
                    counts[key] = counts.GetValueOrDefault(key) + 1;
                    if (counts.Values.Sum() == perStream)
                    {
                        break;
                    }
                }

                return counts;
            });
            for (var i = 0; i < perStream; i++)
            {
                await call.RequestStream.WriteAsync(new LoadReport
                {
                    Service = $"invented-{s:D2}-{i:D6}",
                    Endpoint = "10.0.0.1:80",
                    CpuUtilization = 0.5,
                    Sequence = 1,
                });
            }

            var counted = await reading;
            await call.RequestStream.CompleteAsync();
            return counted;
        }));
        var all = results.SelectMany(r => r).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Sum(p => p.Value), StringComparer.Ordinal);
        var accepted = all.GetValueOrDefault("accepted");
        var refused = string.Join(", ", all.Where(p => p.Key != "accepted").Select(p => $"{p.Value:N0} ({p.Key})"));
        return (accepted, refused.Length > 0 ? refused : "none");
    }

    /// <summary>Watch requests of distinct invented names, held open for <paramref name="hold"/> (or until refused), then cancelled.</summary>
    private static async Task<(long Accepted, string Refused)> WatchAsync(GrpcChannel channel, int watches, int names, TimeSpan hold)
    {
        var client = new WeightDiscovery.WeightDiscoveryClient(channel);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, watches).Select(async w =>
        {
            var request = new WatchRequest { ClientId = $"attack-{w}" };
            request.Services.Add(Enumerable.Range(0, names).Select(i => $"unknown-{w:D3}-{i:D6}"));
            using var cancel = new CancellationTokenSource();
            using var call = client.Watch(request, deadline: DateTime.UtcNow.AddMinutes(2), cancellationToken: cancel.Token);
            try
            {
                // The first answer is every named service's empty snapshot, one message each (or the refusal).
                var read = 0;
                while (read < names && await call.ResponseStream.MoveNext())
                {
                    read++;
                }

                await Task.Delay(hold);
                await cancel.CancelAsync();
                return "held";
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                return "watch_limit";
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
            {
                return "held";
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
            {
                // The connection went under the stream (counted and said; the controller is scraped next).
                Console.Error.WriteLine($"watch {w}: {e.Status.Detail}");
                return "aborted";
            }
        }));
        var held = outcomes.Count(o => o == "held");
        var refused = outcomes.Count(o => o == "watch_limit");
        var aborted = outcomes.Count(o => o == "aborted");
        var said = string.Join(", ", new[] { (refused, "watch_limit, RESOURCE_EXHAUSTED"), (aborted, "aborted, UNAVAILABLE") }
            .Where(p => p.Item1 > 0).Select(p => $"{p.Item1:N0} ({p.Item2})"));
        return (held, said.Length > 0 ? said : "none");
    }

    /// <summary>The refusal's field and key words: "service ... (Robinhood:Limits:X)" as the key it names.</summary>
    private static string Reason(string error)
    {
        var open = error.LastIndexOf("(Robinhood:", StringComparison.Ordinal);
        return open >= 0 ? error[(open + 1)..error.IndexOf(')', open)] : error.Split(' ')[0];
    }

    private static string Mb(long bytes) => (bytes / (1024.0 * 1024)).ToString("F0", CultureInfo.InvariantCulture);
}
