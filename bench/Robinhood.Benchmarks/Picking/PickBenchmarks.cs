using BenchmarkDotNet.Attributes;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.Logging.Abstractions;
using Robinhood.Client.Grpc;
using Robinhood.Client.Picking;
using Robinhood.Client.Subscription;

namespace Robinhood.Benchmarks.Picking;

/// <summary>
/// One pick, single-threaded: ours against Grpc.Net.Client's round robin over the same 4 subchannels; ours also as a
/// channel runs it, with its service (the retry budget counts the request, the attempt is put on the request for
/// ejection) and a request in the context.
/// </summary>
[MemoryDiagnoser]
public class PickBenchmarks
{
    private static readonly uint[] Weights = [1234, 2345, 3456, 4567];
    private readonly PickContext _context = new();
    private GrpcChannel _channel = null!;
    private SubchannelPicker _grpcRoundRobin = null!;
    private SubchannelPicker _robinhood = null!;
    private SubchannelPicker _robinhoodWithService = null!;
    private PickContext _requestContext = null!;
    private WeightedRoundRobin<int> _picker = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        (_channel, var subchannels) = await GrpcSubchannels.CreateAsync(Weights.Length);
        _grpcRoundRobin = GrpcSubchannels.GrpcRoundRobinPicker(subchannels);
        _robinhood = new WeightedSubchannelPicker(subchannels, Weights, new Random(1));
        var service = new ServiceWeights("bench", new RobinhoodClientOptions(), TimeProvider.System, new Random(1), NullLogger.Instance);
        _robinhoodWithService = new WeightedSubchannelPicker(subchannels, Weights, new Random(1), service, ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80"]);
        _requestContext = new PickContext { Request = new HttpRequestMessage(HttpMethod.Post, "http://bench/echo.Echo/Who") };
        _picker = new WeightedRoundRobin<int>([0, 1, 2, 3], Weights, new Random(1));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _requestContext.Request!.Dispose();
        _channel.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Grpc.Net.Client RoundRobinPicker.Pick")]
    public PickResult GrpcRoundRobin() => _grpcRoundRobin.Pick(_context);

    [Benchmark(Description = "Robinhood WeightedSubchannelPicker.Pick")]
    public PickResult RobinhoodSubchannel() => _robinhood.Pick(_context);

    [Benchmark(Description = "Robinhood WeightedSubchannelPicker.Pick, with its service and a request")]
    public PickResult RobinhoodSubchannelWithService() => _robinhoodWithService.Pick(_requestContext);

    [Benchmark(Description = "Robinhood WeightedRoundRobin<T>.Pick")]
    public int RobinhoodPicker() => _picker.Pick();
}
