using Robinhood.ScaleBench;
using Robinhood.ScaleBench.Cli;
using Robinhood.ScaleBench.Hosting;
using Robinhood.ScaleBench.Load;
using Robinhood.ScaleBench.Reporting;
using Robinhood.ScaleBench.Ticks;

if (args.Length > 0 && args[0] == Robinhood.ScaleBench.Attack.AttackRun.Command)
{
    return await Robinhood.ScaleBench.Attack.AttackRun.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == Robinhood.ScaleBench.Sharded.ShardedRun.Command)
{
    return await Robinhood.ScaleBench.Sharded.ShardedRun.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == Robinhood.ScaleBench.Sharded.KubernetesApiProcess.Command)
{
    return await Robinhood.ScaleBench.Sharded.KubernetesApiProcess.ServeAsync(args[1..]);
}

if (args.Length > 0 && args[0] == InProcessTicks.Command)
{
    // Only the in-process ticks of one fleet size: a quick look at a tick's time and allocation.
    var size = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000;
    var measured = await InProcessTicks.MeasureAsync(size, new FleetLayout(100), seed: 42);
    Console.WriteLine(measured);
    return 0;
}

if (args.Length > 0 && args[0] == AckOnlyServer.Command)
{
    // The baseline server, started by the benchmark as its own process.
    await AckOnlyServer.Build(args[1..]).RunAsync();
    return 0;
}

ScaleOptions options;
try
{
    options = ScaleOptions.Parse(args);
}
catch (FormatException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(ScaleOptions.Usage);
    return 2;
}

var results = await new ScaleRun(options).RunAsync();
var markdown = ScaleTable.ToMarkdown(results);
Console.WriteLine(markdown);
await File.WriteAllTextAsync(Path.Combine(options.Out, "scale.md"), markdown);
await File.WriteAllTextAsync(Path.Combine(options.Out, "scale.json"), ScaleTable.ToJson(results));
Console.Error.WriteLine($"wrote {Path.Combine(options.Out, "scale.md")} and scale.json");
return 0;
