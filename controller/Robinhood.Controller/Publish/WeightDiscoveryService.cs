using Grpc.Core;
using Microsoft.Extensions.Options;
using Robinhood.Controller.Ingest;
using Robinhood.V1;

namespace Robinhood.Controller.Publish;

/// <summary>
/// <c>WeightDiscovery.Watch</c>: the current snapshot of every requested service at once, then each
/// newer one. Streams only what the <see cref="SnapshotCache"/> holds. Bound by <see cref="WeightDiscoveryMethods"/>.
/// </summary>
public sealed partial class WeightDiscoveryService(
    SnapshotCache cache,
    IOptions<LimitsOptions> limits,
    TimeProvider time,
    ILogger<WeightDiscoveryService> logger)
{
    public async Task Watch(WatchRequest request, IServerStreamWriter<PublishedSnapshot> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);

        if (request.Services.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "services must name at least one service"));
        }

        if (request.Services.Count > limits.Value.MaxWatchServices)
        {
            ControllerMetrics.WatchesRefused.WithLabels(RefusalReason.WatchLimit.Label()).Inc();
            throw new RpcException(new Status(StatusCode.ResourceExhausted, Refusal.Of(RefusalReason.WatchLimit, "services",
                $"may name at most {limits.Value.MaxWatchServices} services (Robinhood:Limits:MaxWatchServices) (got {request.Services.Count})").Message));
        }

        for (var i = 0; i < request.Services.Count; i++)
        {
            if (ServiceName.Check(request.Services[i], $"services[{i}]") is { } refusal)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, refusal.Message));
            }
        }

        using var watcher = cache.Watch([]);
        if (!watcher.Subscribe(request.Services))
        {
            ControllerMetrics.WatchesRefused.WithLabels(RefusalReason.WatchLimit.Label()).Inc();
            throw new RpcException(new Status(StatusCode.ResourceExhausted, Refusal.Of(RefusalReason.WatchLimit, "services",
                $"the controller's watchers hold as many services as allowed (Robinhood:Limits:MaxWatchSubscriptions = {limits.Value.MaxWatchSubscriptions})").Message));
        }

        ControllerMetrics.Watchers.Inc();
        LogWatchOpened(Refusal.Cut(request.ClientId), request.Services.Count);
        try
        {
            while (true)
            {
                foreach (var snapshot in await watcher.NextAsync(context.CancellationToken).ConfigureAwait(false))
                {
                    await responseStream.WriteAsync(snapshot, context.CancellationToken).ConfigureAwait(false);
                    if (snapshot.ComputedAt is { } computed)
                    {
                        ControllerMetrics.PushLatency.Observe(Math.Max(0, (time.GetUtcNow() - computed).TotalSeconds));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The client went away or the controller is shutting down.
        }
        finally
        {
            ControllerMetrics.Watchers.Dec();
            LogWatchClosed(Refusal.Cut(request.ClientId));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch opened by {ClientId} for {Count} services")]
    private partial void LogWatchOpened(string clientId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch closed by {ClientId}")]
    private partial void LogWatchClosed(string clientId);
}
