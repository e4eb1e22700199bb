namespace Robinhood.Controller.Leadership;

/// <summary>Without Kubernetes this process always leads: it takes over (restoring from Redis) at start.</summary>
public sealed class StandaloneLeadership(LeaderTakeover takeover) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => takeover.TakeOverAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
