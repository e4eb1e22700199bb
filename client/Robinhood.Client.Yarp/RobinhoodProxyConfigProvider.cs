using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Robinhood.Client.Subscription;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Robinhood.Client.Yarp;

/// <summary>
/// YARP routes from <see cref="RobinhoodProxyOptions"/> and one cluster per service whose destinations follow
/// the service's membership. Only a change of members signals a reload; weight changes never do.
/// </summary>
public sealed class RobinhoodProxyConfigProvider : IProxyConfigProvider, IDisposable
{
    private readonly RobinhoodProxyOptions _options;
    private readonly Dictionary<string, ServiceWeights> _services;
    private readonly Dictionary<string, WeightTable> _members = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TimeSpan? _perTryTimeout;
    private ProxyConfig _config;

    /// <summary>
    /// Creates the provider and subscribes to every service the routes name. YARP reads the first config once, at
    /// start: it waits here (each service up to <c>Robinhood:Client:FirstSnapshotTimeout</c>, together) for the first
    /// snapshots, so the first requests find their endpoints instead of a 503.
    /// </summary>
    public RobinhoodProxyConfigProvider(WeightSubscription subscription, IOptions<RobinhoodProxyOptions> options, IOptions<RobinhoodClientOptions> clientOptions)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clientOptions);
        _options = options.Value;
        _perTryTimeout = clientOptions.Value.Retry.PerTryTimeout;
        _services = _options.Services().ToDictionary(s => s, subscription.Service, StringComparer.Ordinal);
        Task.WhenAll(_services.Values.Select(w => w.WaitForSnapshotAsync(CancellationToken.None).AsTask())).GetAwaiter().GetResult();
        lock (_gate)
        {
            foreach (var weights in _services.Values)
            {
                weights.Changed += OnChanged;
                _members[weights.Service] = weights.Current;
            }

            _config = Build();
        }
    }

    /// <inheritdoc />
    public IProxyConfig GetConfig() => Volatile.Read(ref _config);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var weights in _services.Values)
        {
            weights.Changed -= OnChanged;
        }

        _config.Dispose();
    }

    private void OnChanged(object? sender, WeightTable table)
    {
        ProxyConfig previous;
        lock (_gate)
        {
            if (_members.TryGetValue(table.Service, out var known) && known.HasSameMembers(table))
            {
                return;
            }

            _members[table.Service] = table;
            previous = _config;
            Volatile.Write(ref _config, Build());
        }

        previous.SignalChange();
    }

    private ProxyConfig Build()
    {
        var routes = _options.Routes
            .Select(r => new RouteConfig
            {
                RouteId = $"robinhood-{r.Key}",
                ClusterId = r.Value.Service,
                Match = new RouteMatch
                {
                    Hosts = string.IsNullOrEmpty(r.Value.Host) ? null : [r.Value.Host],
                    Path = $"{r.Value.PathPrefix?.TrimEnd('/')}/{{**remainder}}",
                },
            })
            .ToList();
        if (!string.IsNullOrEmpty(_options.DefaultService))
        {
            // Last resort: every explicit route goes first.
            routes.Add(new RouteConfig
            {
                RouteId = "robinhood-default",
                ClusterId = _options.DefaultService,
                Order = int.MaxValue,
                Match = new RouteMatch { Path = "/{**remainder}" },
            });
        }

        var clusters = _members.Values
            .Select(table => new ClusterConfig
            {
                ClusterId = table.Service,
                LoadBalancingPolicy = WeightedLoadBalancingPolicy.PolicyName,
                // A try that goes quiet this long fails (and may be retried on another endpoint).
                HttpRequest = _perTryTimeout is { } perTry ? new ForwarderRequestConfig { ActivityTimeout = perTry } : null,
                Destinations = table.Endpoints.ToDictionary(
                    e => e.Address,
                    e => new DestinationConfig { Address = $"http://{e.Address}" },
                    StringComparer.Ordinal),
            })
            .ToList();
        return new ProxyConfig(routes, clusters);
    }

    private sealed class ProxyConfig(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters) : IProxyConfig, IDisposable
    {
        private readonly CancellationTokenSource _changed = new();

        public IReadOnlyList<RouteConfig> Routes { get; } = routes;

        public IReadOnlyList<ClusterConfig> Clusters { get; } = clusters;

        public IChangeToken ChangeToken => new CancellationChangeToken(_changed.Token);

        public void SignalChange() => _changed.Cancel();

        public void Dispose() => _changed.Dispose();
    }
}
