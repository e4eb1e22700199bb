using Grpc.Net.Client.Balancer;

namespace Robinhood.Client.Grpc;

/// <summary>How endpoint weights travel from the resolver to the balancer: as a <see cref="BalancerAddress"/> attribute.</summary>
public static class BalancerWeights
{
    /// <summary>The weight the controller published for an address (0 = send nothing).</summary>
    public static readonly BalancerAttributesKey<uint> Weight = new("robinhood.weight");

    /// <summary>The weight carried by an address; 0 when it carries none.</summary>
    public static uint Of(BalancerAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.Attributes.TryGetValue(Weight, out var weight) ? weight : 0;
    }
}
