using Grpc.Net.Client.Balancer;
using Robinhood.Client.Subscription;

namespace Robinhood.Client.Grpc;

/// <summary>How endpoint weights travel from the resolver to the balancer: as <see cref="BalancerAddress"/> attributes.</summary>
public static class BalancerWeights
{
    /// <summary>The weight the client applies to an address (0 = send nothing: weight 0, DRAINING or ejected).</summary>
    public static readonly BalancerAttributesKey<uint> Weight = new("robinhood.weight");

    /// <summary>The endpoint's identity, <c>host:port</c>, as the controller published it.</summary>
    public static readonly BalancerAttributesKey<string> Endpoint = new("robinhood.endpoint");

    /// <summary>The service the address belongs to, where the balancer reports call outcomes.</summary>
    internal static readonly BalancerAttributesKey<ServiceWeights> Service = new("robinhood.service");

    /// <summary>The weight carried by an address; 0 when it carries none.</summary>
    public static uint Of(BalancerAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.Attributes.TryGetValue(Weight, out var weight) ? weight : 0;
    }
}
