using BenchmarkDotNet.Attributes;
using Robinhood.Client.Picking;

namespace Robinhood.Benchmarks.Picking;

/// <summary>2M picks shared out over 1 or 2 threads on one picker: ns/op is wall time per pick, so 1/ns is throughput.</summary>
[MemoryDiagnoser]
public class ThroughputBenchmarks
{
    private const int TotalPicks = 2_000_000;
    private WeightedRoundRobin<int> _picker = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => _picker = new WeightedRoundRobin<int>([0, 1, 2, 3], [1234, 2345, 3456, 4567], new Random(1));

    [Benchmark(OperationsPerInvoke = TotalPicks)]
    public int Pick()
    {
        var sums = new int[Threads * 32];
        var perThread = TotalPicks / Threads;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, thread =>
        {
            var sum = 0;
            for (var i = 0; i < perThread; i++)
            {
                sum += _picker.Pick();
            }

            sums[thread * 32] = sum;
        });
        return sums.Sum();
    }
}
