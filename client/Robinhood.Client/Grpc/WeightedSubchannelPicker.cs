using Grpc.Net.Client.Balancer;
using Robinhood.Client.Picking;

namespace Robinhood.Client.Grpc;

/// <summary>Picks among READY subchannels by weight; results are built once, so a pick allocates nothing.</summary>
internal sealed class WeightedSubchannelPicker : SubchannelPicker
{
    private readonly WeightedRoundRobin<PickResult> _results;

    public WeightedSubchannelPicker(IReadOnlyList<Subchannel> subchannels, ReadOnlySpan<uint> weights, Random random)
    {
        var results = subchannels.Select(s => PickResult.ForSubchannel(s)).ToArray();
        lock (random)
        {
            _results = new WeightedRoundRobin<PickResult>(results, weights, random);
        }
    }

    public override PickResult Pick(PickContext context) => _results.Pick();
}
