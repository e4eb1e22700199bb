using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Kubernetes;

namespace Robinhood.Controller.Tests.Leadership;

/// <summary>
/// How the sharded-replica tests run a replica: six shards on the in-process Kubernetes API server's short Leases,
/// state in Redis, a 200 ms tick and a 2 s grace.
/// </summary>
internal static class ShardedReplicas
{
    public const string Namespace = "robinhood";
    public const int Shards = 6;

    // As FakeKubernetesApiServer.ControllerArgs sets them.
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan RetryPeriod = TimeSpan.FromMilliseconds(500);

    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    /// <summary>A replica's arguments beside its listen addresses: Kubernetes on, the services, the shards, Redis, the loop.</summary>
    public static string[] Args(FakeKubernetesApiServer api, string identity, IEnumerable<string> services, string redis)
    {
        ArgumentNullException.ThrowIfNull(api);
        return
        [
            .. api.ControllerArgs(Namespace, identity),
            .. services.Select((s, i) => $"--Robinhood:Kubernetes:Services:{i}={s}"),
            $"--Robinhood:Leadership:Shards={Shards}",
            $"--ConnectionStrings:Redis={redis}",
            "--Robinhood:Redis:ResyncInterval=00:00:00.500",
            "--Robinhood:Control:Interval=00:00:00.200",
            "--Robinhood:Control:WarmUp=00:00:02",
            $"--Robinhood:Control:StartupGrace={Grace}",
        ];
    }

    /// <summary>The shard's Lease as the API server holds it now; null before a replica created it.</summary>
    public static V1Lease? Lease(FakeKubernetesApiServer api, int shard)
    {
        ArgumentNullException.ThrowIfNull(api);
        return api.Lease(Namespace, $"robinhood-controller-{shard}");
    }

    /// <summary>A replica's shard election (its rounds count on its clock).</summary>
    public static ShardElection Election(RunningController replica)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return replica.App.Services.GetServices<IHostedService>().OfType<ShardElection>().Single();
    }
}
