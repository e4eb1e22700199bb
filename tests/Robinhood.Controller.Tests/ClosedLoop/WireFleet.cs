using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Simulator.Fleet;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.ClosedLoop;

/// <summary>
/// The simulator's fleet model closed around the real controller: reports go out over
/// LoadReporter, weights come back over Watch, one tick of a fake clock per step.
/// </summary>
public sealed class WireFleet : IAsyncDisposable
{
    public const string Service = "checkout";
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private readonly RunningController _controller;
    private readonly FakeTimeProvider _time;
    private readonly AsyncDuplexStreamingCall<LoadReport, ReportAck> _reports;
    private readonly AsyncServerStreamingCall<WeightSnapshot> _watch;
    private readonly Task _reading;
    private readonly SemaphoreSlim _received = new(0);
    private readonly double _demand;
    private ulong _sequence;
    private volatile WeightSnapshot _latest = new();

    private WireFleet(RunningController controller, FakeTimeProvider time, FleetModel model, double demand)
    {
        _controller = controller;
        _time = time;
        Model = model;
        _demand = demand;
        _reports = controller.Reporter.Report();
        _watch = controller.Discovery.Watch(new WatchRequest { Services = { Service }, ClientId = "closed-loop" });
        _reading = Task.Run(ReadAsync);
    }

    public FleetModel Model { get; }

    public WeightSnapshot Latest => _latest;

    /// <summary>A client of the controller's Http endpoint (dashboard, metrics, admin API).</summary>
    public HttpClient Http => _controller.Http;

    /// <summary>Demand multiplier on the base demand (1 = the fleet at ~55% mean CPU when balanced).</summary>
    public double DemandFactor { get; set; } = 1;

    /// <summary>24 nodes (2–8 cores: capacities ~4× apart), own background CPU, ±1.5% noise.</summary>
    public static async Task<WireFleet> StartAsync(int nodes = 24, int seed = 7, params string[] args)
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var controller = await RunningController.StartAsync(time, [$"--Robinhood:Control:Interval={Interval}", .. args]);
        var parameters = new FleetParameters();
        var random = new Random(seed);
        var model = new FleetModel(FleetModel.Generate(nodes, parameters, random), parameters, random);
        var demand = model.Nodes.Sum(n => n.Capacity * (0.55 - n.BaseBackground));
        return new WireFleet(controller, time, model, demand);
    }

    /// <summary>
    /// One step: the model serves a tick's demand split by the published weights, its agents report
    /// (each ack awaited), the controller ticks, and the resulting snapshot has reached the watcher.
    /// </summary>
    public async Task StepAsync()
    {
        var members = Enumerable.Range(0, Model.Nodes.Count).Where(i => Model.Conditions[i].Member).ToList();
        var weights = _latest.Endpoints.ToDictionary(e => e.Endpoint, e => (double)e.Weight);
        var total = members.Sum(i => weights.GetValueOrDefault(Address(i)));
        var arrivals = new double[Model.Nodes.Count];
        foreach (var i in members)
        {
            // Clients split per request by weight; with no weights yet they fall back to equal shares.
            arrivals[i] = _demand * DemandFactor * (total > 0 ? weights.GetValueOrDefault(Address(i)) / total : 1.0 / members.Count);
        }

        Model.Step(arrivals);
        foreach (var load in Model.Measure())
        {
            await _reports.RequestStream.WriteAsync(new LoadReport
            {
                Service = Service,
                Endpoint = load.Endpoint + ":8080",
                Zone = load.Zone,
                CpuUtilization = load.CpuUtilization,
                InFlight = load.InFlight,
                MaxInFlight = load.MaxInFlight,
                RequestsPerSecond = load.RequestsPerSecond,
                Sequence = ++_sequence,
            });
            Assert.True(await _reports.ResponseStream.MoveNext(CancellationToken.None));
            Assert.True(_reports.ResponseStream.Current.Accepted, _reports.ResponseStream.Current.Error);
        }

        await _controller.TickAsync(_time, Interval);
        var published = _controller.Snapshots.Get(Service).Version;
        while (_latest.Version < published)
        {
            Assert.True(await _received.WaitAsync(TimeSpan.FromSeconds(10)), $"snapshot {published} never reached the watcher");
        }
    }

    /// <summary>Max over mean of the true CPU of the member nodes in the last step.</summary>
    public double MaxOverAverage(Func<int, bool>? include = null)
    {
        var cpus = Enumerable.Range(0, Model.Nodes.Count)
            .Where(i => Model.Conditions[i].Member && (include?.Invoke(i) ?? true))
            .Select(i => Model.Samples[i].Cpu)
            .ToList();
        return cpus.Max() / cpus.Average();
    }

    public EndpointWeight? Endpoint(int node) => _latest.Endpoints.FirstOrDefault(e => e.Endpoint == Address(node));

    /// <summary>The model names nodes; on the wire an endpoint is "host:port".</summary>
    public string Address(int node) => Model.Nodes[node].Endpoint + ":8080";

    private async Task ReadAsync()
    {
        await foreach (var snapshot in _watch.ResponseStream.ReadAllAsync())
        {
            Assert.True(snapshot.Version > _latest.Version || snapshot.Version == 0, "versions must strictly rise");
            _latest = snapshot;
            _received.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _reports.Dispose();
        _watch.Dispose();
        await _reading.ContinueWith(_ => { }, TaskScheduler.Default);
        await _controller.DisposeAsync();
        _received.Dispose();
    }
}
