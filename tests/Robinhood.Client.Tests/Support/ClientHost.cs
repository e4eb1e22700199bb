using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Robinhood.Client.Subscription;

namespace Robinhood.Client.Tests.Support;

/// <summary>The container a client application would build, pointed at a test controller.</summary>
public static class ClientHost
{
    public static ServiceProvider Build(Uri controller, Action<IServiceCollection> configure, int seed = 7, IDictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Robinhood:Controller"] = controller.ToString(),
                ["Robinhood:Client:ReconnectDelay"] = "00:00:00.050",
                ["Robinhood:Client:MaxReconnectDelay"] = "00:00:00.200",
            })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddKeyedSingleton(RobinhoodClientServiceCollectionExtensions.RandomKey, new Random(seed));
        configure(services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        // What ValidateOnStart does in a host: refuse bad options before the first request.
        _ = provider.GetRequiredService<IOptions<RobinhoodClientOptions>>().Value;
        return provider;
    }

    /// <summary>Waits (bounded) until the condition holds; for state that changes on another thread.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what, int timeoutMs = 10_000) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeoutMs);

    /// <summary>
    /// As <see cref="WaitUntilAsync(Func{bool}, string, int)"/> for a condition that asks over the network: awaited, not
    /// waited on, so no thread-pool thread is held while the test process is starved of them.
    /// </summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!await condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(10);
        }
    }
}
