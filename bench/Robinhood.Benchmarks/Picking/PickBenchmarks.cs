using BenchmarkDotNet.Attributes;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Robinhood.Client.Grpc;
using Robinhood.Client.Picking;

namespace Robinhood.Benchmarks.Picking;

/// <summary>One pick, single-threaded: ours against Grpc.Net.Client's round robin over the same 4 subchannels.</summary>
[MemoryDiagnoser]
public class PickBenchmarks
{
    private static readonly uint[] Weights = [1234, 2345, 3456, 4567];
    private readonly PickContext _context = new();
    private GrpcChannel _channel = null!;
    private SubchannelPicker _grpcRoundRobin = null!;
    private SubchannelPicker _robinhood = null!;
    private WeightedRoundRobin<int> _picker = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        (_channel, var subchannels) = await GrpcSubchannels.CreateAsync(Weights.Length);
        _grpcRoundRobin = GrpcSubchannels.GrpcRoundRobinPicker(subchannels);
        _robinhood = new WeightedSubchannelPicker(subchannels, Weights, new Random(1));
        _picker = new WeightedRoundRobin<int>([0, 1, 2, 3], Weights, new Random(1));
    }

    [GlobalCleanup]
    public void Cleanup() => _channel.Dispose();

    [Benchmark(Baseline = true, Description = "Grpc.Net.Client RoundRobinPicker.Pick")]
    public PickResult GrpcRoundRobin() => _grpcRoundRobin.Pick(_context);

    [Benchmark(Description = "Robinhood WeightedSubchannelPicker.Pick")]
    public PickResult RobinhoodSubchannel() => _robinhood.Pick(_context);

    [Benchmark(Description = "Robinhood WeightedRoundRobin<T>.Pick")]
    public int RobinhoodPicker() => _picker.Pick();
}
