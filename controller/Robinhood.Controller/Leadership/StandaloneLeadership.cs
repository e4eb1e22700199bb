namespace Robinhood.Controller.Leadership;

/// <summary>
/// Without Kubernetes this process is the only candidate: it takes every shard over (restoring from Redis) at
/// start, before the host serves, and keeps retrying in the background while the restore fails.
/// </summary>
public sealed class StandaloneLeadership(LeaderTakeover takeover, ShardMap map) : BackgroundService
{
    private readonly int[] _shards = [.. map.All];
    private bool _leading;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        _leading = await takeover.TryTakeOverAsync(_shards, cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (!_leading)
            {
                await takeover.TakeOverAsync(_shards, stoppingToken, afterFailure: true).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
