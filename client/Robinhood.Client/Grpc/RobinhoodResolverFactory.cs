using Grpc.Net.Client.Balancer;
using Robinhood.Client.Subscription;

namespace Robinhood.Client.Grpc;

/// <summary>Creates resolvers for <c>robinhood:///service</c> addresses.</summary>
public sealed class RobinhoodResolverFactory : ResolverFactory
{
    /// <summary>The address scheme this factory resolves.</summary>
    public const string Scheme = "robinhood";

    private readonly WeightSubscription _subscription;

    /// <summary>Creates the factory over the process's weight subscription.</summary>
    public RobinhoodResolverFactory(WeightSubscription subscription) => _subscription = subscription;

    /// <inheritdoc />
    public override string Name => Scheme;

    /// <inheritdoc />
    public override Resolver Create(ResolverOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var service = options.Address.AbsolutePath.Trim('/');
        if (service.Length == 0)
        {
            throw new InvalidOperationException($"Address '{options.Address}' names no service: use robinhood:///<service>.");
        }

        return new RobinhoodResolver(_subscription.Service(service));
    }
}
