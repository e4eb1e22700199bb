using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Robinhood.Client.Tests.Support;

/// <summary>Real backends on loopback that answer with their own name.</summary>
public static class Backend
{
    /// <summary>A gRPC (HTTP/2) backend serving Echo.Who.</summary>
    public static Task<Loopback> StartGrpcAsync(string name) => Loopback.StartAsync(
        HttpProtocols.Http2,
        services => services.AddGrpc().Services.AddSingleton(new EchoService(name)),
        app => app.MapGrpcService<EchoService>());

    /// <summary>An HTTP/1.1 backend answering every path with its name.</summary>
    public static Task<Loopback> StartHttpAsync(string name) => Loopback.StartAsync(
        HttpProtocols.Http1,
        _ => { },
        app => app.Run(context => context.Response.WriteAsync(name)));

    private sealed class EchoService(string name) : Echo.EchoBase
    {
        public override Task<WhoReply> Who(WhoRequest request, ServerCallContext context) =>
            Task.FromResult(new WhoReply { Backend = name });
    }
}
