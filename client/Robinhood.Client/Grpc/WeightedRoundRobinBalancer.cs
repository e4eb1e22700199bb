using System.Net;
using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.Logging;

namespace Robinhood.Client.Grpc;

/// <summary>
/// Keeps one subchannel per member (connections survive weight changes) and picks among the READY
/// ones by weight, renormalized over them; weight 0 gets nothing.
/// </summary>
internal sealed class WeightedRoundRobinBalancer : SubchannelsLoadBalancer
{
    private readonly Random _random;
    private Dictionary<EndPoint, uint> _weights = [];
    private IReadOnlyList<Subchannel> _ready = [];
    private bool _pickerBuilt;

    public WeightedRoundRobinBalancer(IChannelControlHelper controller, ILoggerFactory loggerFactory, Random random)
        : base(controller, loggerFactory)
    {
        _random = random;
    }

    public override void UpdateChannelState(ChannelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var weights = new Dictionary<EndPoint, uint>();
        foreach (var address in state.Addresses ?? [])
        {
            weights[address.EndPoint] = BalancerWeights.Of(address);
        }

        var changed = weights.Count != _weights.Count
            || weights.Any(w => !_weights.TryGetValue(w.Key, out var old) || old != w.Value);
        _weights = weights;
        _pickerBuilt = false;
        base.UpdateChannelState(state);

        // The base class rebuilds the picker only when membership changes; new weights alone must rebuild it too.
        if (changed && !_pickerBuilt && State == ConnectivityState.Ready && _ready.Count > 0)
        {
            Controller.UpdateState(new BalancerState(ConnectivityState.Ready, CreatePicker(_ready)));
        }
    }

    protected override SubchannelPicker CreatePicker(IReadOnlyList<Subchannel> readySubchannels)
    {
        _pickerBuilt = true;
        _ready = readySubchannels;
        var weights = new uint[readySubchannels.Count];
        for (var i = 0; i < weights.Length; i++)
        {
            var endPoint = readySubchannels[i].CurrentAddress?.EndPoint;
            weights[i] = endPoint is not null && _weights.TryGetValue(endPoint, out var weight) ? weight : 0;
        }

        return weights.Any(w => w > 0)
            ? new WeightedSubchannelPicker(readySubchannels, weights, _random)
            : new FailurePicker(new Status(StatusCode.Unavailable, "No READY endpoint has a weight above 0."));
    }

    private sealed class FailurePicker(Status status) : SubchannelPicker
    {
        private readonly PickResult _result = PickResult.ForFailure(status);

        public override PickResult Pick(PickContext context) => _result;
    }
}
