using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Tests;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Persistence;

/// <summary>
/// In-test agents for modelled services, each service assigned to one controller (replica): every
/// <c>every</c> (250 ms unless told) each controller gets the reports of the services assigned to it over one
/// Report stream, under the weights each service's own Watch stream (to the same controller) last delivered;
/// both reconnect whenever the controller is gone. A service moved to another replica follows at once: its Watch
/// reconnects there and its next reports go there.
/// </summary>
public sealed class ModelledAgents : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _lanes = new(StringComparer.Ordinal);
    private readonly TimeSpan _every;

    public ModelledAgents(IReadOnlyList<ModelledService> fleets, Func<int, string> address, TimeSpan? every = null)
    {
        ArgumentNullException.ThrowIfNull(fleets);
        ArgumentNullException.ThrowIfNull(address);
        _every = every ?? TimeSpan.FromMilliseconds(250);
        Agents = [.. fleets.Select((f, i) => new ServiceAgents(f, address(i)))];
        foreach (var agents in Agents)
        {
            _ = Task.Run(() => WatchAsync(agents));
            Lane(agents.Address);
        }
    }

    public IReadOnlyList<ServiceAgents> Agents { get; }

    /// <summary>Waits until every service's four endpoints are ACTIVE and balanced (max/avg under 1.1), then steady.</summary>
    public async Task SteadyAsync()
    {
        await Eventually.TrueAsync(() => Agents.All(a => a.Latest is { } s && s.Endpoints.Count == 4
            && s.Endpoints.All(e => e.State == EndpointState.Active) && a.Fleet.Imbalance(ModelledService.Weights(s)) < 1.1), TimeSpan.FromSeconds(120));
        await Eventually.TrueAsync(() => Agents.All(a => a.Steady()), TimeSpan.FromSeconds(60));
    }

    /// <summary>Moves the services assigned to <paramref name="from"/> to the replicas <paramref name="to"/>, round robin.</summary>
    public void Move(string from, IReadOnlyList<string> to)
    {
        ArgumentNullException.ThrowIfNull(to);
        var next = 0;
        foreach (var agents in Agents.Where(a => a.Address == from))
        {
            agents.Address = to[next++ % to.Count];
            Lane(agents.Address);
            agents.Reconnect();
        }
    }

    /// <summary>
    /// Services that changed owner, as their agents saw it: how many snapshots were computed from the new owner
    /// owning until its grace ended (each service's times from <paramref name="times"/>: the old owner's last moment,
    /// the new one's owning, the grace's end); the largest share change from each service's last snapshot before to
    /// its first after the grace (a higher version); and how many services had one yet (a steady one may not).
    /// </summary>
    public (int Early, double Largest, int Compared) Handovers(
        IEnumerable<string> moved, Func<string, (DateTimeOffset OldUntil, DateTimeOffset From, DateTimeOffset GraceEnds)> times)
    {
        ArgumentNullException.ThrowIfNull(times);
        var (early, largest, compared) = (0, 0.0, 0);
        foreach (var a in Agents.Where(a => moved.Contains(a.Fleet.Service)))
        {
            var (oldUntil, from, graceEnds) = times(a.Fleet.Service);
            var seen = a.Snapshots.Select(p => (At: p.Snapshot.ComputedAt.ToDateTimeOffset(), p.Snapshot)).ToList();
            var before = seen.Last(s => s.At < oldUntil).Snapshot;
            early += seen.Count(s => s.At >= from && s.At < graceEnds);
            if (seen.FirstOrDefault(s => s.At >= graceEnds).Snapshot is { } after)
            {
                Assert.True(after.Version > before.Version, $"{a.Fleet.Service}: version {after.Version} after the handover, {before.Version} before");
                largest = Math.Max(largest, ModelledService.MaxRelativeChange(before, after));
                compared++;
            }
        }

        return (early, largest, compared);
    }

    private void Lane(string address) => _lanes.GetOrAdd(address, a => Task.Run(() => ReportAsync(a)));

    private GrpcChannel Channel(string address) => _channels.GetOrAdd(address, a => GrpcChannel.ForAddress(a));

    private async Task WatchAsync(ServiceAgents agents)
    {
        while (!_stop.IsCancellationRequested)
        {
            using var call = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, agents.Moved);
            try
            {
                var client = new WeightDiscovery.WeightDiscoveryClient(CallDeadline.On(Channel(agents.Address)));
                using var watch = client.Watch(new WatchRequest { Services = { agents.Fleet.Service }, ClientId = "modelled-agents" }, cancellationToken: call.Token);
                await foreach (var s in watch.ResponseStream.ReadAllAsync(call.Token))
                {
                    agents.See(s);
                }
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException or IOException)
            {
                await PauseAsync();
            }
        }
    }

    private async Task ReportAsync(string address)
    {
        var client = new LoadReporter.LoadReporterClient(CallDeadline.On(Channel(address)));
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var call = client.Report(cancellationToken: _stop.Token);
                while (!_stop.IsCancellationRequested)
                {
                    foreach (var agents in Agents.Where(a => a.Address == address))
                    {
                        var weights = agents.Latest is { } s ? ModelledService.Weights(s) : [];
                        foreach (var report in agents.Fleet.Reports(weights))
                        {
                            await call.RequestStream.WriteAsync(report, _stop.Token);
                            if (!await call.ResponseStream.MoveNext(_stop.Token))
                            {
                                throw new IOException("the report stream closed");
                            }

                            agents.Acked(call.ResponseStream.Current.Accepted);
                        }
                    }

                    await PauseAsync();
                }
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException or IOException or InvalidOperationException)
            {
                await PauseAsync();
            }
        }
    }

    private async Task PauseAsync()
    {
        try
        {
            await Task.Delay(_every, _stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }

        foreach (var agents in Agents)
        {
            agents.Dispose();
        }

        _stop.Dispose();
    }
}

/// <summary>One modelled service's agents: the replica they talk to, the snapshots their Watch received (with when), their acks.</summary>
public sealed class ServiceAgents(ModelledService fleet, string address) : IDisposable
{
    private CancellationTokenSource _moved = new();
    private volatile string _address = address;
    private long _accepted;
    private long _refused;

    public ModelledService Fleet { get; } = fleet;

    /// <summary>The replica these agents report to and watch.</summary>
    public string Address
    {
        get => _address;
        set => _address = value;
    }

    public ConcurrentQueue<(DateTime At, WeightSnapshot Snapshot)> Snapshots { get; } = new();

    public WeightSnapshot? Latest { get; private set; }

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Cancelled when the service moves to another replica: its Watch reconnects there.</summary>
    public CancellationToken Moved => Volatile.Read(ref _moved).Token;

    /// <summary>No new snapshot for a second, or the last five within 1% of each other.</summary>
    public bool Steady()
    {
        var recent = Snapshots.TakeLast(5).ToList();
        return (recent.Count > 0 && DateTime.UtcNow - recent[^1].At > TimeSpan.FromSeconds(1))
            || (recent.Count == 5 && recent[0].Snapshot.Endpoints.Count == recent[^1].Snapshot.Endpoints.Count
                && ModelledService.MaxRelativeChange(recent[0].Snapshot, recent[^1].Snapshot) < 0.01);
    }

    internal void See(WeightSnapshot snapshot)
    {
        if (snapshot.Version > 0 && (Latest is null || snapshot.Version > Latest.Version))
        {
            Latest = snapshot;
            Snapshots.Enqueue((DateTime.UtcNow, snapshot));
        }
    }

    internal void Acked(bool accepted) => Interlocked.Increment(ref accepted ? ref _accepted : ref _refused);

    internal void Reconnect() => Interlocked.Exchange(ref _moved, new CancellationTokenSource()).Cancel();

    public void Dispose() => _moved.Dispose();
}
