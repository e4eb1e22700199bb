using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Tests.Kubernetes;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Membership;

/// <summary><c>Robinhood:Kubernetes:Services</c> as <c>namespace/name</c>, against the in-process Kubernetes API server.</summary>
public sealed class ServicesInOtherNamespacesAgainstInProcessKubernetesApiTests
{
    [Fact]
    public async Task NamespacedEntry_FollowsThatNamespacesSlices_UnderTheEntryAsServiceName()
    {
        await using var api = await FakeKubernetesApiServer.StartAsync();
        api.PutEndpointSlice(FakeKubernetesApiServer.Slice("shop", "cart-1", "cart", 8080, ("10.4.0.1", "zone-a"), ("10.4.0.2", "zone-b")));
        // A Service of the same name in the controller's own namespace is another service.
        api.PutEndpointSlice(FakeKubernetesApiServer.Slice("robinhood", "cart-1", "cart", 9090, ("10.5.0.1", "zone-a")));
        await using var controller = await RunningController.StartAsync(null,
        [
            "--Robinhood:Kubernetes:Enabled=true",
            $"--Robinhood:Kubernetes:Host={api.Host}",
            "--Robinhood:Kubernetes:Namespace=robinhood",
            "--Robinhood:Leadership:Identity=solo",
            "--Robinhood:Kubernetes:Services:0=shop/cart",
            "--Robinhood:Kubernetes:Services:1=cart",
            "--Robinhood:Control:Interval=00:00:00.100",
        ]);

        await Eventually(() => Members(controller, "shop/cart").SetEquals(["10.4.0.1:8080", "10.4.0.2:8080"]));
        await Eventually(() => Members(controller, "cart").SetEquals(["10.5.0.1:9090"]));
    }

    [Theory]
    [InlineData("Shop/cart")]
    [InlineData("shop/")]
    [InlineData("a/b/c")]
    [InlineData(" ")]
    public async Task MalformedEntry_StopsTheControllerNamingTheKey(string entry)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => RunningController.StartAsync(null,
            ["--Robinhood:Kubernetes:Enabled=true", "--Robinhood:Kubernetes:Host=http://127.0.0.1:1", $"--Robinhood:Kubernetes:Services:0={entry}"]));

        Assert.Contains("Robinhood:Kubernetes:Services:0 must be a Kubernetes Service as name or namespace/name", error.Message, StringComparison.Ordinal);
    }

    private static HashSet<string> Members(RunningController controller, string service) =>
        controller.Snapshots.Get(service).Endpoints.Where(e => e.State != EndpointState.Draining).Select(e => e.Endpoint).ToHashSet();

    private static async Task Eventually(Func<bool> condition, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(condition))] string what = "")
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not before the deadline: {what}");
            await Task.Delay(20);
        }
    }
}
