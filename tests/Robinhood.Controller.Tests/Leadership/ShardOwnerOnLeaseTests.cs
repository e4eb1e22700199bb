using k8s.Models;
using Robinhood.Controller.Leadership;

namespace Robinhood.Controller.Tests.Leadership;

/// <summary>
/// Where a shard's Lease says its owner is. A replica of an earlier version renewing a Lease writes only its gRPC
/// address and keeps the other annotations, so an Http address counts only while the holder that wrote it holds the Lease.
/// </summary>
public sealed class ShardOwnerOnLeaseTests
{
    [Fact]
    public void Owner_HttpAddressWrittenByTheHolder_BothAddresses()
    {
        var lease = Lease("replica-a", ("replica-a", "http://10.0.0.5:7000", "http://10.0.0.5:7001"));
        Assert.Equal(new ShardOwner("http://10.0.0.5:7000", "http://10.0.0.5:7001"), ShardElection.Owner(lease));
    }

    [Fact]
    public void Owner_HttpAddressNotAnHttpUrl_GrpcAddressOnly()
    {
        foreach (var bad in new[] { "not a url", "10.0.0.5:7001", "file:///etc/passwd", "" })
        {
            var lease = Lease("replica-a", ("replica-a", "http://10.0.0.5:7000", bad));
            Assert.Equal(new ShardOwner("http://10.0.0.5:7000", null), ShardElection.Owner(lease));
        }
    }

    [Fact]
    public void Owner_HeldByAnEarlierVersionOverAnotherHoldersHttpAddress_GrpcAddressOnly()
    {
        // replica-a (this version) held it; replica-old took it over and wrote its gRPC address, keeping the rest.
        var lease = Lease("replica-old", ("replica-a", "http://10.0.0.6:7000", "http://10.0.0.5:7001"));
        Assert.Equal(new ShardOwner("http://10.0.0.6:7000", null), ShardElection.Owner(lease));
    }

    [Fact]
    public void Owner_HeldByAnEarlierVersionNeverHeldByThisOne_GrpcAddressOnly()
    {
        var lease = Lease("replica-old", null);
        lease.Metadata.Annotations = new Dictionary<string, string> { [ShardElection.AddressAnnotation] = "http://10.0.0.6:7000" };
        Assert.Equal(new ShardOwner("http://10.0.0.6:7000", null), ShardElection.Owner(lease));
    }

    [Fact]
    public void Owner_HandedBackOrNeverTaken_Unknown()
    {
        Assert.Null(ShardElection.Owner(Lease("", ("replica-a", "http://10.0.0.5:7000", "http://10.0.0.5:7001"))));
        Assert.Null(ShardElection.Owner(null));
    }

    private static V1Lease Lease(string holder, (string Writer, string Grpc, string Http)? written) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "robinhood-controller-0",
            Annotations = written is { } w
                ? new Dictionary<string, string>
                {
                    [ShardElection.AddressAnnotation] = w.Grpc,
                    [ShardElection.HttpAddressAnnotation] = w.Http,
                    [ShardElection.HttpAddressHolderAnnotation] = w.Writer,
                }
                : null,
        },
        Spec = new V1LeaseSpec { HolderIdentity = holder },
    };
}
