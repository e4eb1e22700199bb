using System.Globalization;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Robinhood.Controller.Hosting;
using Robinhood.ScaleBench.Hosting;
using Robinhood.V1;

namespace Robinhood.ScaleBench.Attack;

/// <summary>
/// <c>attack</c>: the controller as its own process with its defaults, attacked from this one as a careless or
/// hostile client would (docs/trust.md): one stream inventing 200,000 services, many streams doing so
/// together, and Watch requests naming 100,000 services. Prints a Markdown table of what the controller
/// refused and its RSS, CPU and ticks before and after each attack.
/// </summary>
public static class AttackRun
{
    public const string Command = "attack";

    private const string TickHistogram = "robinhood_controller_tick_duration_seconds";
    private const string ManagedMemory = "dotnet_total_memory_bytes";

    public static async Task<int> RunAsync(string[] args)
    {
        var output = args.Length > 0 ? args[0] : "attack-out";
        Directory.CreateDirectory(output);
        var dll = typeof(ControllerHost).Assembly.Location;
        var table = new StringBuilder();
        table.AppendLine("| attack | accepted | refused (reason) | RSS before → after | RSS growth | managed heap before → after | controller CPU (cores) | ticks (count, p99, max bucket) |");
        table.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        await using (var controller = await ServerProcess.StartAsync(dll, ["--Robinhood:Control:Interval=00:00:01"], Path.Combine(output, "controller.log")))
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            using var channel = GrpcChannel.ForAddress(controller.GrpcAddress, new GrpcChannelOptions
            {
                MaxSendMessageSize = MessageLimits.MaxRequestBytes,
                MaxReceiveMessageSize = MessageLimits.MaxSnapshotBytes,
            });

            table.AppendLine(await MeasureAsync(controller, "one stream invents 200,000 services", () => InventAsync(channel, streams: 1, perStream: 200_000)));
            table.AppendLine(await MeasureAsync(controller, "20 streams invent 10,000 services each", () => InventAsync(channel, streams: 20, perStream: 10_000)));
            table.AppendLine(await MeasureAsync(controller, "3 Watch requests of 100,000 names", () => WatchAsync(channel, watches: 3, names: 100_000, hold: TimeSpan.Zero)));
            table.AppendLine(await MeasureAsync(controller, "300 Watch requests of 1,000 unknown names, held 10 s, then gone", () => WatchAsync(channel, watches: 300, names: 1_000, hold: TimeSpan.FromSeconds(10))));
        }

        var markdown = table.ToString();
        Console.WriteLine(markdown);
        await File.WriteAllTextAsync(Path.Combine(output, "attack.md"), markdown);
        return 0;
    }

    /// <summary>One attack: samples before, runs it, waits 10 s for the controller to settle, samples after.</summary>
    private static async Task<string> MeasureAsync(ServerProcess controller, string name, Func<Task<(long Accepted, string Refused)>> attack)
    {
        Console.Error.WriteLine($"[{DateTimeOffset.Now:HH:mm:ss}] {name}");
        var scrape0 = await controller.ScrapeAsync();
        var ticks0 = scrape0.Histogram(TickHistogram);
        var before = controller.Sample();
        var (accepted, refused) = await attack();
        await Task.Delay(TimeSpan.FromSeconds(10));
        var after = controller.Sample();
        var scrape1 = await controller.ScrapeAsync();
        var ticks = scrape1.Histogram(TickHistogram).Since(ticks0);
        var heap0 = (long)(scrape0.Value(ManagedMemory) ?? 0);
        var heap1 = (long)(scrape1.Value(ManagedMemory) ?? 0);
        var maxBucket = ticks.Bounds.Where((_, i) => ticks.Counts[i] > (i > 0 ? ticks.Counts[i - 1] : 0)).DefaultIfEmpty(double.NaN).Last();
        var seconds = (after.At - before.At).TotalSeconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {accepted:N0} | {refused} | {Mb(before.RssBytes)} → {Mb(after.RssBytes)} MB | {Mb(after.RssBytes - before.RssBytes)} MB | {Mb(heap0)} → {Mb(heap1)} MB | {ProcessSample.Cores(before, after):F2} over {seconds:F0} s | {ticks.Total:N0} in {seconds:F0} s, p99 {ticks.Quantile(0.99) * 1000:F1} ms, ≤ {maxBucket * 1000:G} ms |");
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
            using var cancel = new CancellationTokenSource(hold + TimeSpan.FromSeconds(1));
            using var call = client.Watch(request, deadline: DateTime.UtcNow.AddMinutes(2), cancellationToken: cancel.Token);
            try
            {
                // The first answer is every named service's empty snapshot, one message each.
                var read = 0;
                while (read < names && await call.ResponseStream.MoveNext())
                {
                    read++;
                }

                await Task.Delay(hold, cancel.Token).ContinueWith(_ => { }, TaskScheduler.Default);
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
        }));
        var held = outcomes.Count(o => o == "held");
        var refused = outcomes.Count(o => o == "watch_limit");
        return (held, refused > 0 ? $"{refused:N0} (watch_limit, RESOURCE_EXHAUSTED)" : "none");
    }

    /// <summary>The refusal's field and key words: "service ... (Robinhood:Limits:X)" as the key it names.</summary>
    private static string Reason(string error)
    {
        var open = error.LastIndexOf("(Robinhood:", StringComparison.Ordinal);
        return open >= 0 ? error[(open + 1)..error.IndexOf(')', open)] : error.Split(' ')[0];
    }

    private static string Mb(long bytes) => (bytes / (1024.0 * 1024)).ToString("F0", CultureInfo.InvariantCulture);
}
