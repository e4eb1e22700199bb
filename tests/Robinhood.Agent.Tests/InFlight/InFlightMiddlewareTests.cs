using Robinhood.Agent.InFlight;

namespace Robinhood.Agent.Tests.InFlight;

public sealed class InFlightMiddlewareTests
{
    [Fact]
    public async Task InvokeAsync_RequestsHeldOpen_CountsThemInFlightUntilTheyComplete()
    {
        var counter = new InFlightCounter();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = 0;
        await using var app = await LoopbackServer.StartAsync(
            builder => builder.Services.AddSingleton(counter),
            app =>
            {
                app.UseRobinhoodInFlight();
                app.MapGet("/work", async () =>
                {
                    if (Interlocked.Increment(ref arrived) == 3)
                    {
                        allArrived.SetResult();
                    }

                    await release.Task;
                    return "done";
                });
            });
        using var http = new HttpClient { BaseAddress = app.Address() };

        var requests = Enumerable.Range(0, 3).Select(_ => http.GetStringAsync(new Uri("/work", UriKind.Relative))).ToArray();
        await allArrived.Task.WaitAsync(LoopbackServer.Timeout);

        Assert.Equal(3, counter.InFlight);
        Assert.Equal(0, counter.Completed);

        release.SetResult();
        Assert.All(await Task.WhenAll(requests), body => Assert.Equal("done", body));

        // The client can read the whole response a moment before the middleware's finally has run.
        Assert.True(SpinWait.SpinUntil(() => counter.Completed == 3, LoopbackServer.Timeout));
        Assert.Equal(0, counter.InFlight);
    }

    [Fact]
    public async Task InvokeAsync_EndpointThrows_StillCountsTheRequestOut()
    {
        var counter = new InFlightCounter();
        await using var app = await LoopbackServer.StartAsync(
            builder => builder.Services.AddSingleton(counter),
            app =>
            {
                app.UseRobinhoodInFlight();
                app.MapGet("/fail", string () => throw new InvalidOperationException("boom"));
            });
        using var http = new HttpClient { BaseAddress = app.Address() };

        using var response = await http.GetAsync(new Uri("/fail", UriKind.Relative));

        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.True(SpinWait.SpinUntil(() => counter.Completed == 1, LoopbackServer.Timeout));
        Assert.Equal(0, counter.InFlight);
    }
}
