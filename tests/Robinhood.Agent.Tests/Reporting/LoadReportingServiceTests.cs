using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using Robinhood.V1;

namespace Robinhood.Agent.Tests.Reporting;

public sealed class LoadReportingServiceTests : IAsyncLifetime
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan QuietWindow = TimeSpan.FromMilliseconds(300);

    private readonly AgentClock _time = new();
    private TestController _controller = null!;
    private DateTimeOffset _start;

    public async Task InitializeAsync()
    {
        _controller = await TestController.StartAsync();
        _start = _time.GetUtcNow() + Second;
    }

    public async Task DisposeAsync() => await _controller.DisposeAsync();

    [Fact]
    public async Task ExecuteAsync_DefaultInterval_ReportsEverySecondWithSequencesFromOne()
    {
        await using var agent = await ReporterHarness.StartAsync(_controller, _time);

        var received = new List<ReceivedReport> { await _controller.NextReportAsync() };
        for (var i = 1; i < 4; i++)
        {
            await _time.AdvanceOnceWaitedOnAsync(Second);
            received.Add(await _controller.NextReportAsync());
        }

        Assert.Equal([1UL, 2, 3, 4], received.Select(r => r.Report.Sequence));
        Assert.Equal(Enumerable.Range(0, 4).Select(i => At(i)), received.Select(r => r.Report.ObservedAt));
        Assert.All(received, r =>
        {
            Assert.Equal(1, r.Stream);
            Assert.Null(r.Authorization);
            Assert.Equal(("web", "10.0.0.5:8080", "zone-a", 64u), (r.Report.Service, r.Report.Endpoint, r.Report.Zone, r.Report.MaxInFlight));
            Assert.Equal(0, r.Report.CpuUtilization);
        });
    }

    [Fact]
    public async Task ExecuteAsync_AckAsksForFiveSeconds_SendsTheNextReportFiveSecondsLater()
    {
        _controller.Ack = (report, _) => Task.FromResult(TestController.Accept(report, TimeSpan.FromSeconds(5)));
        await using var agent = await ReporterHarness.StartAsync(_controller, _time);
        Assert.Equal(1UL, (await _controller.NextReportAsync()).Report.Sequence);
        await _time.WaitForTimerAsync(_start + TimeSpan.FromSeconds(5));

        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.False(await _controller.ReportArrivesWithinAsync(QuietWindow), "a report came before the 5 s the ack asked for");

        _time.Advance(TimeSpan.FromSeconds(2));
        var second = (await _controller.NextReportAsync()).Report;

        Assert.Equal((2UL, At(5)), (second.Sequence, second.ObservedAt));
    }

    [Fact]
    public async Task ExecuteAsync_LoadChangesWhileAckOutstanding_SendsOnlyTheLatestMeasurement()
    {
        var releaseFirstAck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _controller.Ack = async (report, cancellationToken) =>
        {
            if (report.Sequence == 1)
            {
                await releaseFirstAck.Task.WaitAsync(cancellationToken);
            }

            return TestController.Accept(report);
        };
        await using var agent = await ReporterHarness.StartAsync(_controller, _time);
        Assert.Equal(0u, (await _controller.NextReportAsync()).Report.InFlight);

        // Three intervals pass with in-flight at 5, 6 and 7 while the controller has not acked.
        for (var inFlight = 5; inFlight <= 7; inFlight++)
        {
            while (agent.Requests.InFlight < inFlight)
            {
                agent.Requests.Enter();
            }

            _time.Advance(Second);
        }

        Assert.False(await _controller.ReportArrivesWithinAsync(QuietWindow), "a report was sent with one unacknowledged");
        releaseFirstAck.SetResult();
        var second = (await _controller.NextReportAsync()).Report;
        await _time.AdvanceOnceWaitedOnAsync(Second);
        var third = (await _controller.NextReportAsync()).Report;

        Assert.Equal((2UL, 7u, At(3)), (second.Sequence, second.InFlight, second.ObservedAt));
        Assert.Equal((3UL, 7u, At(4)), (third.Sequence, third.InFlight, third.ObservedAt));
    }

    [Fact]
    public async Task ExecuteAsync_ReportRefused_KeepsTheStreamAndKeepsReporting()
    {
        _controller.Ack = (report, _) => Task.FromResult(report.Sequence == 1
            ? new ReportAck { Service = report.Service, Endpoint = report.Endpoint, Sequence = 1, Accepted = false, Error = "zone: unknown zone" }
            : TestController.Accept(report));
        await using var agent = await ReporterHarness.StartAsync(_controller, _time);
        await _controller.NextReportAsync();

        await _time.AdvanceOnceWaitedOnAsync(Second);
        var second = await _controller.NextReportAsync();

        Assert.Equal((1, 2UL), (second.Stream, second.Report.Sequence));
    }

    [Fact]
    public async Task ExecuteAsync_TokenFileConfigured_SendsBearerAuthorizationMetadata()
    {
        var tokenFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokenFile, "s3cret-token\n");
        try
        {
            await using var agent = await ReporterHarness.StartAsync(_controller, _time, options => options.TokenFile = tokenFile);

            Assert.Equal("Bearer s3cret-token", (await _controller.NextReportAsync()).Authorization);
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    [Fact]
    public async Task StopAsync_StreamOpen_CompletesTheRequestStream()
    {
        var agent = await ReporterHarness.StartAsync(_controller, _time);
        await _controller.NextReportAsync();

        await agent.DisposeAsync();

        await _controller.ClientCompleted.Task.WaitAsync(LoopbackServer.Timeout);
    }

    [Fact]
    public async Task ExecuteAsync_AckNeverArrives_ReconnectsAfterTheAckTimeout()
    {
        _controller.Ack = async (report, cancellationToken) =>
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return TestController.Accept(report);
        };
        await using var agent = await ReporterHarness.StartAsync(_controller, _time, options => options.AckTimeout = TimeSpan.FromSeconds(10));
        await _controller.NextReportAsync();

        var next = _controller.NextReportAsync();
        for (var waited = Stopwatch.StartNew(); !next.IsCompleted && waited.Elapsed < LoopbackServer.Timeout;)
        {
            // Timers the agent sets after this advance wait for the next one: step until the new stream reports, for
            // as long as the report may take (60 steps, 3 s, assumed the agent sets its reconnect delay that soon).
            _time.Advance(Second);
            await Task.WhenAny(next, Task.Delay(50));
        }

        var reconnected = await next;
        Assert.Equal((2, 1UL), (reconnected.Stream, reconnected.Report.Sequence));
        Assert.True(reconnected.Report.ObservedAt.ToDateTimeOffset() >= _start + TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ExecuteAsync_ControllerRestarts_ReconnectsAndStartsTheNewStreamAtOne()
    {
        // Real sockets refusing connections while the controller is down: real time, with short backoff.
        await using var agent = await ReporterHarness.StartAsync(_controller, TimeProvider.System, options =>
        {
            options.ReconnectInitialDelay = TimeSpan.FromMilliseconds(20);
            options.ReconnectMaxDelay = TimeSpan.FromMilliseconds(100);
        });
        Assert.Equal(1UL, (await _controller.NextReportAsync()).Report.Sequence);
        var port = _controller.Address.Port;

        await _controller.DisposeAsync();
        _controller = await TestController.StartAsync(port);
        var afterRestart = await _controller.NextReportAsync();

        Assert.Equal((1, 1UL), (afterRestart.Stream, afterRestart.Report.Sequence));
    }

    private Timestamp At(int seconds) => Timestamp.FromDateTimeOffset(_start + TimeSpan.FromSeconds(seconds));
}
