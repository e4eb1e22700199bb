using System.Net;
using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.Logging;
using Robinhood.Client.Subscription;

namespace Robinhood.Client.Grpc;

/// <summary>
/// Keeps one subchannel per member (connections survive weight changes) and picks among the READY
/// ones by weight, renormalized over them; weight 0 (and an ejected endpoint) gets nothing.
/// </summary>
internal sealed class WeightedRoundRobinBalancer : SubchannelsLoadBalancer
{
    private readonly Random _random;
    private Dictionary<EndPoint, Member> _members = [];
    private ServiceWeights? _service;
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
        var members = new Dictionary<EndPoint, Member>();
        ServiceWeights? service = null;
        foreach (var address in state.Addresses ?? [])
        {
            var endpoint = address.Attributes.TryGetValue(BalancerWeights.Endpoint, out var name) ? name : address.EndPoint.ToString() ?? "";
            members[address.EndPoint] = new Member(BalancerWeights.Of(address), endpoint);
            if (address.Attributes.TryGetValue(BalancerWeights.Service, out var weights))
            {
                service = weights;
            }
        }

        var changed = members.Count != _members.Count
            || members.Any(m => !_members.TryGetValue(m.Key, out var old) || old != m.Value);
        _members = members;
        _service = service;
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
        var endpoints = new string[readySubchannels.Count];
        for (var i = 0; i < weights.Length; i++)
        {
            var endPoint = readySubchannels[i].CurrentAddress?.EndPoint;
            if (endPoint is not null && _members.TryGetValue(endPoint, out var member))
            {
                weights[i] = member.Weight;
                endpoints[i] = member.Endpoint;
            }
            else
            {
                endpoints[i] = endPoint?.ToString() ?? "";
            }
        }

        return weights.Any(w => w > 0)
            ? new WeightedSubchannelPicker(readySubchannels, weights, _random, _service, endpoints)
            : new FailurePicker(new Status(StatusCode.Unavailable, "No READY endpoint has a weight above 0."));
    }

    private readonly record struct Member(uint Weight, string Endpoint);

    private sealed class FailurePicker(Status status) : SubchannelPicker
    {
        private readonly PickResult _result = PickResult.ForFailure(status);

        public override PickResult Pick(PickContext context) => _result;
    }
}
