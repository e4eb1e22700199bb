using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Robinhood.V1;

namespace Robinhood.ScaleBench.Load;

/// <summary>
/// The load generator: agents, each one report stream on its own HTTP/2 connection, every agent sending
/// one report per endpoint it carries each second (agents staggered over the second) and reading acks.
/// The fleet can grow while running.
/// </summary>
public sealed class AgentFleet : IAsyncDisposable
{
    private readonly Agent[] _agents;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _running;
    private int _endpoints;

    /// <param name="first">The first endpoint these agents carry (another fleet, on another replica, may carry those before it).</param>
    public AgentFleet(string address, int agents, FleetLayout layout, int endpoints, int seed, int first = 0)
    {
        _endpoints = endpoints;
        First = first;
        _agents = [.. Enumerable.Range(0, agents).Select(a => new Agent(this, address, a, agents, layout, new Random(seed + a)))];
        _running = [.. _agents.Select(a => a.RunAsync(_stop.Token))];
    }

    public int First { get; }

    /// <summary>Endpoints reporting (from <see cref="First"/> on); agents pick up a new size at their next round.</summary>
    public int Endpoints
    {
        get => Volatile.Read(ref _endpoints);
        set => Volatile.Write(ref _endpoints, value);
    }

    /// <summary>Totals so far; the first refusal's reason, if any, to show what broke.</summary>
    public LoadCounters Read() => new(
        _agents.Sum(a => Interlocked.Read(ref a.Sent)),
        _agents.Sum(a => Interlocked.Read(ref a.Acked)),
        _agents.Sum(a => Interlocked.Read(ref a.Refused)),
        _agents.Select(a => a.FirstError).FirstOrDefault(e => e is not null),
        _agents.Select(a => a.Failure).FirstOrDefault(e => e is not null));

    /// <summary>Starts keeping report-to-ack latencies (milliseconds).</summary>
    public void BeginLatencyWindow()
    {
        foreach (var a in _agents)
        {
            a.Latencies.Begin();
        }
    }

    public IReadOnlyList<double> EndLatencyWindow() => [.. _agents.SelectMany(a => a.Latencies.End())];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
        foreach (var a in _agents)
        {
            a.Dispose();
        }

        _stop.Dispose();
    }

    private sealed class Agent(AgentFleet fleet, string address, int index, int agents, FleetLayout layout, Random random) : IDisposable
    {
        private readonly GrpcChannel _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });

        // Acks come back in order on a stream, so the oldest send stamp belongs to the next ack.
        private readonly System.Collections.Concurrent.ConcurrentQueue<long> _sentAt = new();
        public long Sent;
        public long Acked;
        public long Refused;

        public string? FirstError { get; private set; }

        public string? Failure { get; private set; }

        public LatencyWindow Latencies { get; } = new();

        public async Task RunAsync(CancellationToken stop)
        {
            try
            {
                using var call = new LoadReporter.LoadReporterClient(_channel).Report(cancellationToken: stop);
                var acks = ReadAcksAsync(call.ResponseStream, stop);
                await Task.Delay(TimeSpan.FromSeconds((double)index / agents), stop);
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                ulong round = 0;
                do
                {
                    round++;
                    var endpoints = fleet.Endpoints;
                    for (var i = fleet.First + index; i < fleet.First + endpoints; i += agents)
                    {
                        _sentAt.Enqueue(Stopwatch.GetTimestamp());
                        await call.RequestStream.WriteAsync(layout.Report(i, round, random), stop);
                        Interlocked.Increment(ref Sent);
                    }
                }
                while (await timer.WaitForNextTickAsync(stop));
                await acks;
            }
            catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or RpcException)
            {
                // Stopped.
            }
            catch (RpcException e)
            {
                Failure ??= $"agent {index}: {e.Status}";
            }
        }

        private async Task ReadAcksAsync(IAsyncStreamReader<ReportAck> stream, CancellationToken stop)
        {
            try
            {
                while (await stream.MoveNext(stop))
                {
                    if (_sentAt.TryDequeue(out var sentAt))
                    {
                        Latencies.Add(Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds);
                    }

                    Interlocked.Increment(ref Acked);
                    if (!stream.Current.Accepted)
                    {
                        Interlocked.Increment(ref Refused);
                        FirstError ??= stream.Current.Error;
                    }
                }
            }
            catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or RpcException)
            {
                // Stopped.
            }
            catch (RpcException e)
            {
                Failure ??= $"agent {index} acks: {e.Status}";
            }
        }

        public void Dispose() => _channel.Dispose();
    }
}

/// <summary>What the agents sent and got back so far.</summary>
public sealed record LoadCounters(long Sent, long Acked, long Refused, string? FirstRefusal, string? Failure);

/// <summary>Samples kept only while a window is open; cheap to add to from many threads.</summary>
public sealed class LatencyWindow
{
    private readonly Lock _gate = new();
    private List<double>? _samples;

    public void Begin()
    {
        lock (_gate)
        {
            _samples = [];
        }
    }

    public void Add(double sample)
    {
        lock (_gate)
        {
            _samples?.Add(sample);
        }
    }

    public IReadOnlyList<double> End()
    {
        lock (_gate)
        {
            var samples = _samples ?? [];
            _samples = null;
            return samples;
        }
    }
}
