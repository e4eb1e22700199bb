using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Robinhood.Client.Subscription;

namespace Robinhood.Client.Grpc;

/// <summary>Resolves <c>robinhood:///service</c> to the service's members, pushing a new result on every snapshot.</summary>
internal sealed class RobinhoodResolver : Resolver
{
    private static readonly ServiceConfig WeightedConfig = new()
    {
        LoadBalancingConfigs = { new LoadBalancingConfig(WeightedRoundRobinBalancerFactory.PolicyName) },
    };

    private readonly ServiceWeights _weights;
    private readonly CancellationTokenSource _disposed = new();
    private Action<ResolverResult>? _listener;
    private volatile bool _ready;

    public RobinhoodResolver(ServiceWeights weights) => _weights = weights;

    public override void Start(Action<ResolverResult> listener)
    {
        _listener = listener;
        _weights.Changed += OnChanged;
        _ = PublishFirstAsync();
    }

    /// <summary>
    /// Weights are pushed, not polled: a refresh re-sends what is current, but not before the first snapshot (or the
    /// end of the wait for it), so a channel's first calls wait instead of failing on the placeholder.
    /// </summary>
    public override void Refresh()
    {
        if (_ready)
        {
            Publish(_weights.Current);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _weights.Changed -= OnChanged;
            _disposed.Cancel();
            _disposed.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task PublishFirstAsync()
    {
        try
        {
            var table = await _weights.WaitForSnapshotAsync(_disposed.Token).ConfigureAwait(false);
            _ready = true;
            Publish(table);
        }
        catch (OperationCanceledException)
        {
            // Disposed before the first snapshot.
        }
    }

    private void OnChanged(object? sender, WeightTable table)
    {
        _ready = true;
        Publish(table);
    }

    private void Publish(WeightTable table)
    {
        var listener = _listener;
        if (listener is null)
        {
            return;
        }

        if (table.Endpoints.Count == 0)
        {
            var why = table.IsPlaceholder
                ? $"No weights for service '{table.Service}' from the controller yet."
                : $"Service '{table.Service}' has no endpoints.";
            listener(ResolverResult.ForFailure(new Status(StatusCode.Unavailable, why)));
            return;
        }

        var addresses = new BalancerAddress[table.Endpoints.Count];
        for (var i = 0; i < addresses.Length; i++)
        {
            var endpoint = table.Endpoints[i];
            addresses[i] = new BalancerAddress(endpoint.Host, endpoint.Port);
            addresses[i].Attributes.Set(BalancerWeights.Weight, endpoint.Weight);
            addresses[i].Attributes.Set(BalancerWeights.Endpoint, endpoint.Address);
            addresses[i].Attributes.Set(BalancerWeights.Service, _weights);
        }

        listener(ResolverResult.ForResult(addresses, WeightedConfig, serviceConfigStatus: null));
    }
}
