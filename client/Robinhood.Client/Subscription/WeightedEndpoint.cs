using System.Diagnostics.CodeAnalysis;
using Robinhood.V1;

namespace Robinhood.Client.Subscription;

/// <summary>One member of a service as the client uses it: where to dial and the share it gets.</summary>
/// <param name="Address">The endpoint's identity, <c>host:port</c>.</param>
/// <param name="Host">Host part of <paramref name="Address"/> (no brackets for IPv6).</param>
/// <param name="Port">Port part of <paramref name="Address"/>.</param>
/// <param name="Weight">Weight the client applies: the published one, or 0 while DRAINING.</param>
/// <param name="State">Lifecycle state the controller published.</param>
/// <param name="Zone">Topology zone, empty when unknown.</param>
public sealed record WeightedEndpoint(string Address, string Host, int Port, uint Weight, EndpointState State, string Zone)
{
    /// <summary>The authority to put in a URI (IPv6 hosts bracketed).</summary>
    public string Authority => Address;

    /// <summary>Parses <c>host:port</c> or <c>[v6]:port</c> by the contract's rule (<see cref="EndpointAddress"/>).</summary>
    public static bool TryParseAddress(string address, [NotNullWhen(true)] out string? host, out int port)
    {
        var parsed = EndpointAddress.Parse(address);
        host = parsed?.Host;
        port = parsed?.Port ?? 0;
        return parsed is not null;
    }
}
