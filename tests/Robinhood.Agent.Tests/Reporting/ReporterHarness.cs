using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Agent.Configuration;
using Robinhood.Agent.InFlight;
using Robinhood.Agent.Measurement;
using Robinhood.Agent.Reporting;
using Robinhood.V1;

namespace Robinhood.Agent.Tests.Reporting;

/// <summary>A <see cref="LoadReportingService"/> measuring a cgroup v2 fixture and an in-flight counter, reporting to a test controller.</summary>
internal sealed class ReporterHarness : IAsyncDisposable
{
    private readonly FixtureDirectory _cgroup;

    private ReporterHarness(FixtureDirectory cgroup, InFlightCounter requests, LoadReportingService reporter)
    {
        _cgroup = cgroup;
        Requests = requests;
        Reporter = reporter;
    }

    public InFlightCounter Requests { get; }

    public LoadReportingService Reporter { get; }

    public static async Task<ReporterHarness> StartAsync(TestController controller, TimeProvider time, Action<AgentOptions>? configure = null)
    {
        var options = new AgentOptions
        {
            Controller = controller.Address.ToString(),
            Service = "web",
            Endpoint = "10.0.0.5:8080",
            Zone = "zone-a",
            MaxInFlight = 64,
        };
        configure?.Invoke(options);

        var cgroup = FixtureDirectory.Copy("cgroup-v2-limited");
        var requests = new InFlightCounter();
        var meter = new EndpointLoadMeter(
            options,
            CpuMeter.Create(cgroup.Path, "/nonexistent-proc", time, hostCpus: 4),
            new CountedInFlightSource(requests, time),
            time,
            NullLogger<EndpointLoadMeter>.Instance);

        // The CPU meter took its baseline; a second passes so the first report carries a rate.
        (time as FakeTimeProvider)?.Advance(TimeSpan.FromSeconds(1));

        var reporter = new LoadReportingService(
            Options.Create(options),
            meter,
            new Backoff(options.ReconnectInitialDelay, options.ReconnectMaxDelay, new Random(7)),
            time,
            new AgentMetrics(),
            NullLogger<LoadReportingService>.Instance);
        await reporter.StartAsync(CancellationToken.None);
        return new ReporterHarness(cgroup, requests, reporter);
    }

    public async ValueTask DisposeAsync()
    {
        // A host's shutdown timeout, so a controller that never answers cannot hold the test.
        using var shutdownTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await Reporter.StopAsync(shutdownTimeout.Token);
        Reporter.Dispose();
        _cgroup.Dispose();
    }
}
