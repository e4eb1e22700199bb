using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Options;
using Robinhood.Controller.Membership;

namespace Robinhood.Controller.Leadership;

/// <summary>
/// Runs the election on the Lease <c>Robinhood:Leadership:LeaseName</c> through KubernetesClient's
/// <see cref="LeaderElector"/>. Winning: take every shard over (restore from Redis, next epoch).
/// Losing the lease: release them at once.
/// </summary>
public sealed partial class LeaseElection(
    IKubernetes client,
    IOptions<KubernetesOptions> kubernetes,
    IOptions<LeadershipOptions> options,
    LeaderTakeover takeover,
    Ownership ownership,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<LeaseElection> logger) : BackgroundService
{
    private volatile bool _leading;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Stop leading as soon as shutdown begins, not after the server has drained its streams:
        // a follower takes over one lease duration later.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lifetime.ApplicationStopping);
        await ElectAsync(stopping.Token).ConfigureAwait(false);
    }

    private async Task ElectAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var lease = new LeaseLock(client, kubernetes.Value.Namespace, o.LeaseName, o.Identity);
        var config = new LeaderElectionConfig(lease)
        {
            LeaseDuration = o.LeaseDuration,
            RenewDeadline = o.RenewDeadline,
            RetryPeriod = o.RetryPeriod,
        };

        LogElecting(kubernetes.Value.Namespace, o.LeaseName, o.Identity);
        while (!stoppingToken.IsCancellationRequested)
        {
            using var elector = new LeaderElector(config);
            elector.OnStartedLeading += () =>
            {
                _leading = true;
                _ = LeadAsync(stoppingToken);
            };
            elector.OnStoppedLeading += () =>
            {
                _leading = false;
                foreach (var shard in ownership.Map.All)
                {
                    ownership.Release(shard, "the lease was lost or released");
                }
            };
            elector.OnNewLeader += LogNewLeader;
            elector.OnError += LogElectionFailed;
            try
            {
                await elector.RunUntilLeadershipLostAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogElectionFailed(e);
                await Task.Delay(o.RetryPeriod, time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task LeadAsync(CancellationToken stoppingToken)
    {
        try
        {
            await takeover.TakeOverAsync([.. ownership.Map.All], stoppingToken, () => _leading).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Electing a leader on the Lease {Namespace}/{Lease} as {Identity}")]
    private partial void LogElecting(string @namespace, string lease, string identity);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lease holder is now {Identity}")]
    private partial void LogNewLeader(string identity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leader election failed; retrying")]
    private partial void LogElectionFailed(Exception exception);
}
