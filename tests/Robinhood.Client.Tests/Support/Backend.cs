using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Robinhood.Client.Tests.Support;

/// <summary>Real backends on loopback that answer with their own name.</summary>
public static class Backend
{
    /// <summary>
    /// A gRPC (HTTP/2) backend serving Echo.Who; <paramref name="served"/> counts the calls it receives and
    /// <paramref name="before"/>, when set, runs before each answer (to fail or delay it).
    /// </summary>
    public static Task<Loopback> StartGrpcAsync(string name, int port = 0, Action? served = null, Func<ServerCallContext, Task>? before = null) => Loopback.StartAsync(
        HttpProtocols.Http2,
        services => services.AddGrpc().Services.AddSingleton(new EchoService(name, served, before)),
        app => app.MapGrpcService<EchoService>(),
        port);

    /// <summary>An HTTP/1.1 backend answering every path with its name; <paramref name="served"/> counts the requests it answers.</summary>
    public static Task<Loopback> StartHttpAsync(string name, int port = 0, Action? served = null) => Loopback.StartAsync(
        HttpProtocols.Http1,
        _ => { },
        app => app.Run(context =>
        {
            served?.Invoke();
            return context.Response.WriteAsync(name);
        }),
        port);

    /// <summary>An HTTP/1.1 backend that fails every request with 503 and counts them.</summary>
    public static Task<Loopback> StartFailingAsync(Action received) => Loopback.StartAsync(
        HttpProtocols.Http1,
        _ => { },
        app => app.Run(context =>
        {
            received();
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        }));

    /// <summary>
    /// An HTTP/1.1 backend dying mid-request: it counts each request it received, then aborts the connection before any
    /// response byte (what a process killed while serving does to the requests it holds).
    /// </summary>
    public static Task<Loopback> StartAbortingAsync(Action received) => Loopback.StartAsync(
        HttpProtocols.Http1,
        _ => { },
        app => app.Run(context =>
        {
            received();
            context.Abort();
            return Task.CompletedTask;
        }));

    private sealed class EchoService(string name, Action? served, Func<ServerCallContext, Task>? before) : Echo.EchoBase
    {
        public override async Task<WhoReply> Who(WhoRequest request, ServerCallContext context)
        {
            served?.Invoke();
            if (before is not null)
            {
                await before(context);
            }

            return new WhoReply { Backend = name };
        }
    }
}
