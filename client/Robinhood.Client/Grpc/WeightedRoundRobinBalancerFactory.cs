using Grpc.Net.Client.Balancer;

namespace Robinhood.Client.Grpc;

/// <summary>Creates the <c>robinhood_wrr</c> load balancer: per-call weighted round-robin over READY subchannels.</summary>
public sealed class WeightedRoundRobinBalancerFactory : LoadBalancerFactory
{
    /// <summary>The policy name used in service config.</summary>
    public const string PolicyName = "robinhood_wrr";

    private readonly Random _random;

    /// <summary>Creates the factory; <paramref name="random"/> sets each picker's starting point.</summary>
    public WeightedRoundRobinBalancerFactory(Random random) => _random = random;

    /// <inheritdoc />
    public override string Name => PolicyName;

    /// <inheritdoc />
    public override LoadBalancer Create(LoadBalancerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new WeightedRoundRobinBalancer(options.Controller, options.LoggerFactory, _random);
    }
}
