using Robinhood.Agent.InFlight;

namespace Robinhood.Agent.Tests.InFlight;

public sealed class HttpInFlightSourceTests : IAsyncLifetime
{
    private readonly HttpClient _http = new();
    private WebApplication? _app;

    public async Task InitializeAsync() => _app = await LoopbackServer.StartAsync(
        _ => { },
        app =>
        {
            app.MapGet("/plain", () => "17\n");
            app.MapGet("/json", () => Results.Text("{\"in_flight\":4,\"queued\":9}", "application/json"));
            app.MapGet("/busy", () => "busy");
        });

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app!.DisposeAsync();
    }

    [Theory]
    [InlineData("/plain", 17u)]
    [InlineData("/json", 4u)]
    public async Task ReadAsync_PlainIntegerOrJson_ReturnsInFlightWithoutRate(string path, uint expected)
    {
        var source = new HttpInFlightSource(_http, new Uri(_app!.Address(), path));

        Assert.Equal(new InFlightReading(expected, null), await source.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ReadAsync_NeitherFormat_ThrowsNamingTheAcceptedFormats()
    {
        var source = new HttpInFlightSource(_http, new Uri(_app!.Address(), "/busy"));

        var error = await Assert.ThrowsAsync<FormatException>(() => source.ReadAsync(CancellationToken.None).AsTask());
        Assert.Contains("{\"in_flight\":N}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_ApplicationAnswersNotFound_ThrowsHttpRequestException()
    {
        var source = new HttpInFlightSource(_http, new Uri(_app!.Address(), "/missing"));

        await Assert.ThrowsAsync<HttpRequestException>(() => source.ReadAsync(CancellationToken.None).AsTask());
    }
}
