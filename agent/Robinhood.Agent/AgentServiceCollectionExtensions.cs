using k8s;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Robinhood.Agent.Configuration;
using Robinhood.Agent.InFlight;
using Robinhood.Agent.Measurement;
using Robinhood.Agent.Node;
using Robinhood.Agent.Reporting;
using Robinhood.V1;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the agent: options, measurement and the reporting hosted service.</summary>
public static class AgentServiceCollectionExtensions
{
    /// <summary>
    /// Adds the agent reporting this endpoint's load (or, with <c>Robinhood:Agent:Mode=Node</c>, every labelled pod's on the node) to the controller, configured from <c>Robinhood:Agent</c> and
    /// <c>Robinhood:Controller</c>; invalid settings stop the host at start with a message naming the key. Embedded in an
    /// ASP.NET Core application, pair it with <see cref="InFlightApplicationBuilderExtensions.UseRobinhoodInFlight"/>.
    /// </summary>
    public static IServiceCollection AddRobinhoodAgent(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AgentOptions>()
            .Bind(configuration.GetSection(AgentOptions.SectionName))
            .Configure(options => options.Controller = configuration[AgentOptions.ControllerKey] is { Length: > 0 } controller
                ? controller
                : options.Controller)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentOptions>, AgentOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<InFlightCounter>();
        services.TryAddSingleton<AgentMetrics>();
        // A local application that cannot answer within a report interval or two is better skipped than waited on.
        services.AddHttpClient(nameof(HttpInFlightSource), http => http.Timeout = TimeSpan.FromSeconds(2));
        services.TryAddSingleton<IInFlightSource>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<AgentOptions>>().Value;
            return options.InFlightUrl is { } url
                ? new HttpInFlightSource(provider.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(HttpInFlightSource)), url)
                : new CountedInFlightSource(provider.GetRequiredService<InFlightCounter>(), provider.GetRequiredService<TimeProvider>());
        });
        if (configuration.GetSection(AgentOptions.SectionName).GetValue<AgentMode>(nameof(AgentOptions.Mode)) == AgentMode.Node)
        {
            AddNodeMode(services);
        }
        else
        {
            // Embedded in the application, its own cgroup is the application's.
            services.TryAddSingleton<ILoadSource>(provider => EndpointLoad(
                provider, (options, time) => CpuMeter.Create(options.CgroupRoot, options.ProcRoot, time)));
        }

        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<AgentOptions>>().Value;
            return new Backoff(options.ReconnectInitialDelay, options.ReconnectMaxDelay, new Random());
        });
        services.AddHostedService<LoadReportingService>();
        return services;
    }

    /// <summary>
    /// The agent as a process of its own (the Robinhood.Agent executable, a sidecar container): in sidecar mode it
    /// measures the application's processes in the pod's shared process namespace, never its own container, and
    /// refuses to start when it can see no process but its own. Node mode is as <see cref="AddRobinhoodAgent"/>.
    /// </summary>
    public static IServiceCollection AddRobinhoodSidecarAgent(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration.GetSection(AgentOptions.SectionName).GetValue<AgentMode>(nameof(AgentOptions.Mode)) != AgentMode.Node)
        {
            services.TryAddSingleton<ILoadSource>(provider => EndpointLoad(provider, (options, time) => new CpuMeter(
                ApplicationProcessesCpuSource.Find(
                    options.ProcRoot,
                    options.ApplicationCpuMillis > 0 ? options.ApplicationCpuMillis / 1000.0 : null,
                    options.ApplicationProcess),
                time)));
        }

        return services.AddRobinhoodAgent(configuration);
    }

    private static EndpointLoadMeter EndpointLoad(IServiceProvider provider, Func<AgentOptions, TimeProvider, CpuMeter> cpu)
    {
        var options = provider.GetRequiredService<IOptions<AgentOptions>>().Value;
        var time = provider.GetRequiredService<TimeProvider>();
        return new EndpointLoadMeter(
            options,
            cpu(options, time),
            provider.GetRequiredService<IInFlightSource>(),
            time,
            provider.GetRequiredService<ILogger<EndpointLoadMeter>>());
    }

    // One report stream for every labelled pod on the node; the same reporter as the sidecar's.
    private static void AddNodeMode(IServiceCollection services)
    {
        services.TryAddSingleton<IKubernetes>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<AgentOptions>>().Value;
            var configuration = options.KubernetesHost is { Length: > 0 } host
                ? new KubernetesClientConfiguration { Host = host }
                : KubernetesClientConfiguration.IsInCluster()
                    ? KubernetesClientConfiguration.InClusterConfig()
                    : KubernetesClientConfiguration.BuildConfigFromConfigFile();
            return new Kubernetes(configuration);
        });
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<AgentOptions>>();
            return new NodePodWatcher(
                provider.GetRequiredService<IKubernetes>(),
                options,
                new Backoff(options.Value.ReconnectInitialDelay, options.Value.ReconnectMaxDelay, new Random()),
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<AgentMetrics>(),
                provider.GetRequiredService<ILogger<NodePodWatcher>>());
        });
        services.AddHostedService(provider => provider.GetRequiredService<NodePodWatcher>());
        services.TryAddSingleton(provider => new PodCgroupLocator(provider.GetRequiredService<IOptions<AgentOptions>>().Value.CgroupRoot));
        services.TryAddSingleton<ILoadSource>(provider => new NodeLoadMeter(
            provider.GetRequiredService<NodePodWatcher>(),
            provider.GetRequiredService<PodCgroupLocator>(),
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(HttpInFlightSource)),
            provider.GetRequiredService<IOptions<AgentOptions>>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<NodeLoadMeter>>()));
    }
}
