using System.Net.Http;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Robinhood.Client.Subscription;
using Robinhood.V1;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the weight subscription that every Robinhood integration reads from.</summary>
public static class RobinhoodClientServiceCollectionExtensions
{
    /// <summary>Key under which a <see cref="Random"/> may be registered to seed pickers and backoff (tests).</summary>
    public const string RandomKey = "Robinhood.Random";

    /// <summary>
    /// Adds the weight subscription. <see cref="RobinhoodClientOptions"/> are bound from the <c>Robinhood</c> section of
    /// the application's <see cref="IConfiguration"/> when one is registered (a host always has one), else keep their
    /// defaults; options are validated when first used. Safe to call more than once.
    /// </summary>
    public static IServiceCollection AddRobinhoodClient(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(WeightSubscription)))
        {
            return services;
        }

        services.AddOptions<RobinhoodClientOptions>()
            .Configure<IServiceProvider>((options, provider) =>
                provider.GetService<IConfiguration>()?.GetSection(RobinhoodClientOptions.SectionName).Bind(options))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RobinhoodClientOptions>, RobinhoodClientOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddKeyedSingleton(RandomKey, Random.Shared);
        services.AddSingleton(sp => new ControllerChannel(GrpcChannel.ForAddress(
            sp.GetRequiredService<IOptions<RobinhoodClientOptions>>().Value.Controller,
            new GrpcChannelOptions
            {
                // A snapshot of a service at the controller's endpoint limit is past gRPC's default 4 MB.
                MaxReceiveMessageSize = MessageLimits.MaxSnapshotBytes,
                MaxSendMessageSize = MessageLimits.MaxRequestBytes,
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
            (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger<WeightSubscription>()));
        return services;
    }

    /// <summary>Adds the weight subscription with options bound from <paramref name="section"/> (e.g. <c>configuration.GetSection("Robinhood")</c>).</summary>
    public static IServiceCollection AddRobinhoodClient(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        services.AddRobinhoodClient();
        services.Configure<RobinhoodClientOptions>(section);
        return services;
    }

    /// <summary>Adds the weight subscription with options set in code (applied after any configuration).</summary>
    public static IServiceCollection AddRobinhoodClient(this IServiceCollection services, Action<RobinhoodClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddRobinhoodClient();
        services.Configure(configure);
        return services;
    }

    /// <summary>Owns the channel to the controller so the container disposes it.</summary>
    private sealed class ControllerChannel(GrpcChannel channel) : IDisposable
    {
        public GrpcChannel Channel { get; } = channel;

        public void Dispose() => Channel.Dispose();
    }
}
