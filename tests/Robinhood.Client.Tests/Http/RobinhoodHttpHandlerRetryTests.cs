using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Client.Subscription;
using Robinhood.Client.Tests.Support;

namespace Robinhood.Client.Tests.Http;

/// <summary>
/// Retries of the HttpClient handler around a real backend that dies mid-request (it receives the request and aborts
/// the connection before answering) or one that refuses connections, beside one that answers. The client's clock is
/// fake, so ejections last and the budget's window stands still until the test moves it.
/// </summary>
public sealed class RobinhoodHttpHandlerRetryTests : IAsyncLifetime
{
    private const string Service = "web";
    private readonly FakeTimeProvider _time = new();
    private WeightServer _controller = null!;
    private Loopback _ok = null!;
    private Loopback _aborting = null!;
    private int _answered;
    private int _aborted;

    public async Task InitializeAsync()
    {
        _controller = await WeightServer.StartAsync();
        _ok = await Backend.StartHttpAsync("ok", served: () => Interlocked.Increment(ref _answered));
        _aborting = await Backend.StartAbortingAsync(() => Interlocked.Increment(ref _aborted));
    }

    public async Task DisposeAsync()
    {
        await _ok.DisposeAsync();
        await _aborting.DisposeAsync();
        await _controller.DisposeAsync();
    }

    [Fact]
    public async Task Get_BackendAbortsBeforeAnswering_RetriedOnTheOtherUntilTheFifthEjectsIt()
    {
        _controller.Publish(Service, 1, (_aborting.Endpoint, 1000), (_ok.Endpoint, 1000));
        await using var client = Client();
        var http = client.GetRequiredService<IHttpClientFactory>().CreateClient(Service);

        for (var i = 0; i < 40; i++)
        {
            Assert.Equal("ok", await http.GetStringAsync(new Uri("http://web/item")));
        }

        Assert.Equal(40, Volatile.Read(ref _answered));
        // Each abort counts as a failure of that endpoint: the fifth in a row ejects it (the default Consecutive5xx).
        Assert.Equal(5, Volatile.Read(ref _aborted));
        Assert.Equal([_aborting.Endpoint], client.GetRequiredService<WeightSubscription>().Service(Service).Ejected);
    }

    [Fact]
    public async Task Post_BackendAbortsAfterReceivingIt_NotRetriedTheCallerGetsTheError()
    {
        _controller.Publish(Service, 1, (_aborting.Endpoint, 1000), (_ok.Endpoint, 1000));
        await using var client = Client(("Robinhood:OutlierDetection:Consecutive5xx", "0"));
        var http = client.GetRequiredService<IHttpClientFactory>().CreateClient(Service);

        var failed = 0;
        for (var i = 0; i < 20; i++)
        {
            try
            {
                using var response = await http.PostAsync(new Uri("http://web/orders"), new StringContent("order"));
                Assert.Equal("ok", await response.Content.ReadAsStringAsync());
            }
            catch (HttpRequestException e)
            {
                Assert.NotEqual(HttpRequestError.ConnectionError, e.HttpRequestError);
                failed++;
            }
        }

        // The backend that aborted may have run each POST it received: none was sent again, each failed to its caller.
        Assert.InRange(failed, 1, 19);
        Assert.Equal(failed, Volatile.Read(ref _aborted));
        Assert.Equal(20 - failed, Volatile.Read(ref _answered));
    }

    [Fact]
    public async Task Post_EndpointRefusesConnections_RetriedOnTheOtherAndTheRefusingOneEjected()
    {
        var refusing = $"127.0.0.1:{RecentRate.FreePort()}";
        _controller.Publish(Service, 1, (refusing, 1000), (_ok.Endpoint, 1000));
        await using var client = Client();
        var http = client.GetRequiredService<IHttpClientFactory>().CreateClient(Service);

        for (var i = 0; i < 20; i++)
        {
            using var response = await http.PostAsync(new Uri("http://web/orders"), new StringContent("order"));
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }

        // A refused connection never reached a backend: every POST is answered once, by the other endpoint.
        Assert.Equal(20, Volatile.Read(ref _answered));
        Assert.Equal([refusing], client.GetRequiredService<WeightSubscription>().Service(Service).Ejected);
    }

    [Fact]
    public async Task Get_BudgetOfTenRetriesSpent_LaterAbortsReachTheCaller()
    {
        _controller.Publish(Service, 1, (_aborting.Endpoint, 1000), (_ok.Endpoint, 1000));
        // No share of requests, 1 retry per second over a 10 s window that the fake clock keeps still: 10 retries.
        await using var client = Client(
            ("Robinhood:OutlierDetection:Consecutive5xx", "0"),
            ("Robinhood:Retry:BudgetPercent", "0"),
            ("Robinhood:Retry:MinRetriesPerSecond", "1"));
        var http = client.GetRequiredService<IHttpClientFactory>().CreateClient(Service);

        var failed = 0;
        for (var i = 0; i < 40; i++)
        {
            try
            {
                Assert.Equal("ok", await http.GetStringAsync(new Uri("http://web/item")));
            }
            catch (HttpRequestException)
            {
                failed++;
            }
        }

        var aborted = Volatile.Read(ref _aborted);
        Assert.InRange(aborted, 11, 39);
        Assert.Equal(aborted - 10, failed);
        Assert.Equal(40 - failed, Volatile.Read(ref _answered));
    }

    private ServiceProvider Client(params (string Key, string Value)[] settings) => ClientHost.Build(
        _controller.Address,
        services => services.AddSingleton<TimeProvider>(_time).AddHttpClient(Service, http => http.Timeout = TimeSpan.FromSeconds(10)).AddRobinhood(),
        settings: settings.ToDictionary(s => s.Key, s => (string?)s.Value));
}
