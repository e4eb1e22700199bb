using System.Net.Http;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Robinhood.V1;

namespace Robinhood.Client.Subscription;

/// <summary>Registers the weight subscription that every integration reads from.</summary>
public static class RobinhoodClientServiceCollectionExtensions
{
    /// <summary>Key under which a <see cref="Random"/> may be registered to seed pickers and backoff (tests).</summary>
    public const string RandomKey = "Robinhood.Random";

    /// <summary>
    /// Adds <see cref="WeightSubscription"/> with <see cref="RobinhoodClientOptions"/> bound to the
    /// <c>Robinhood</c> section and validated on start. Safe to call more than once.
    /// </summary>
    public static IServiceCollection AddRobinhoodClient(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(WeightSubscription)))
        {
            return services;
        }

        services.AddOptions<RobinhoodClientOptions>()
            .BindConfiguration(RobinhoodClientOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RobinhoodClientOptions>, RobinhoodClientOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddKeyedSingleton(RandomKey, Random.Shared);
        services.AddSingleton(sp => new ControllerChannel(GrpcChannel.ForAddress(
            sp.GetRequiredService<IOptions<RobinhoodClientOptions>>().Value.Controller,
            new GrpcChannelOptions
            {
                // Pings find a controller that vanished without closing the connection, so fail-static starts promptly.
                HttpHandler = new SocketsHttpHandler
                {
                    KeepAlivePingDelay = TimeSpan.FromSeconds(10),
                    KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
                    KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                    EnableMultipleHttp2Connections = true,
                },
                LoggerFactory = sp.GetService<ILoggerFactory>(),
            })));
        services.AddSingleton(sp => new WeightSubscription(
            new WeightDiscovery.WeightDiscoveryClient(sp.GetRequiredService<ControllerChannel>().Channel),
            sp.GetRequiredService<IOptions<RobinhoodClientOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredKeyedService<Random>(RandomKey),
            sp.GetRequiredService<ILogger<WeightSubscription>>()));
        return services;
    }

    /// <summary>Owns the channel to the controller so the container disposes it.</summary>
    private sealed class ControllerChannel(GrpcChannel channel) : IDisposable
    {
        public GrpcChannel Channel { get; } = channel;

        public void Dispose() => Channel.Dispose();
    }
}
