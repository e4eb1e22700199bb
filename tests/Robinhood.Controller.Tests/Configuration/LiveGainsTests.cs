using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Robinhood.Controller.Control;
using Robinhood.Controller.Hosting;
using Robinhood.Controller.Tests.Hosting;

namespace Robinhood.Controller.Tests.Configuration;

/// <summary>Gains in the file named by <c>Robinhood:ConfigFile</c>, changed while the controller runs.</summary>
/// <remarks>Alone, after the parallel tests: it counts ticks against a file watcher's latency, which their load stretches.</remarks>
[Collection(SerialCollection.Name)]
public sealed class LiveGainsTests
{
    private const string Service = "checkout";

    [Fact]
    public async Task ConfigFile_GainChange_TakesEffectWithinTwoTicks_BadOneRefusedWithKeyAndRuleAndLastGoodStays()
    {
        // A directory of its own: a watcher on the busy shared temp directory can overflow and miss the change.
        var file = Path.Combine(Directory.CreateTempSubdirectory("robinhood-gains-").FullName, "gains.json");
        await WriteGainsAsync(file, "0.3");
        var logs = new CapturedLogs();
        await using var app = ControllerHost.Build(
            [
                "--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:0",
                "--Kestrel:Endpoints:Http:Url=http://127.0.0.1:0",
                "--Logging:LogLevel:Default=Warning",
                "--Robinhood:Control:Interval=00:00:01",
                $"--Robinhood:ConfigFile={file}",
            ],
            builder => builder.Logging.AddProvider(logs));
        await app.StartAsync();
        try
        {
            await ChangeGainsAsync(app, logs, file);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static async Task ChangeGainsAsync(WebApplication app, CapturedLogs logs, string file)
    {
        var settings = app.Services.GetRequiredService<ControlSettingsSource>();
        var loop = app.Services.GetRequiredService<ControlLoop>();
        Assert.Equal(0.3, settings.Current.For(Service).Kp);

        // A good change: in force by the second tick after the write.
        var ticksAtWrite = loop.Ticks;
        await WriteGainsAsync(file, "0.25");
        await Eventually(() => settings.Current.For(Service).Kp == 0.25, () => $"Kp {settings.Current.For(Service).Kp}");
        var applied = await loop.NextTickAsync();
        Assert.True(applied - ticksAtWrite <= 2, $"applied at tick {applied}, written at tick {ticksAtWrite}");

        // A bad one: refused, said in the log with key and rule, counted; the last good value stays.
        var refused = ControllerMetrics.ConfigReloads.WithLabels("refused").Value;
        await WriteGainsAsync(file, "-1");
        // The counter moves just before the log line is written: wait for both.
        await Eventually(() => ControllerMetrics.ConfigReloads.WithLabels("refused").Value > refused
            && logs.Messages.Any(m => m.Contains("Robinhood:Control:Kp must be a finite number in [", StringComparison.Ordinal)),
            () => $"refused {ControllerMetrics.ConfigReloads.WithLabels("refused").Value} (was {refused}), Kp {settings.Current.For(Service).Kp}, log: {string.Join(" | ", logs.Messages.Distinct())}");
        await loop.NextTickAsync();
        Assert.Equal(0.25, settings.Current.For(Service).Kp);
    }

    /// <summary>Rewrites the file; the JSON provider's reload delay (250 ms) lets the write finish before it reads.</summary>
    private static Task WriteGainsAsync(string file, string kp) =>
        File.WriteAllTextAsync(file, $$"""{ "Robinhood": { "Control": { "Kp": {{kp}}, "Services": { "{{Service}}": { "Ki": 0.05 } } } } }""");

    private static async Task Eventually(Func<bool> condition, Func<string>? state = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"the condition did not hold before the deadline {state?.Invoke()}");
            await Task.Delay(20);
        }
    }
}
