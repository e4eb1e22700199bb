using Microsoft.Extensions.DependencyInjection;
using Robinhood.Client.Http;
using Robinhood.Client.Tests.Support;

namespace Robinhood.Client.Tests.Http;

public sealed class RobinhoodHttpHandlerTests : IAsyncLifetime
{
    private readonly List<Loopback> _backends = [];
    private WeightServer _controller = null!;
    private ServiceProvider _client = null!;

    public async Task InitializeAsync()
    {
        _controller = await WeightServer.StartAsync();
        foreach (var name in new[] { "a", "b", "c" })
        {
            _backends.Add(await Backend.StartHttpAsync(name));
        }

        _controller.Publish("web", 1, (_backends[0].Endpoint, 500), (_backends[1].Endpoint, 1500), (_backends[2].Endpoint, 3000));
        _controller.Publish("empty", 1);
        _client = ClientHost.Build(_controller.Address, services => services.AddHttpClient("web").AddRobinhood());
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }

        await _controller.DisposeAsync();
    }

    [Fact]
    public async Task Send_ServiceUri_SplitsRequestsByWeight()
    {
        var http = _client.GetRequiredService<IHttpClientFactory>().CreateClient("web");
        var counts = new Dictionary<string, int>();

        for (var i = 0; i < 1_000; i++)
        {
            var backend = await http.GetStringAsync(new Uri("http://web/hello?i=1"));
            counts[backend] = counts.GetValueOrDefault(backend) + 1;
        }

        // Async continuations hop between processors (each has its own cursor), so exact per cycle becomes within 2%.
        var error = Split.MaxRelativeError(counts, new Dictionary<string, uint> { ["a"] = 500, ["b"] = 1500, ["c"] = 3000 });
        Assert.True(error <= 0.02, $"split off the weights by {error:P2}");
    }

    [Fact]
    public async Task Send_ServiceWithoutEndpoints_ThrowsNamingTheService()
    {
        var http = _client.GetRequiredService<IHttpClientFactory>().CreateClient("web");

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync(new Uri("http://empty/")));

        Assert.Contains("'empty'", error.Message, StringComparison.Ordinal);
    }
}
