using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Robinhood.Controller.Auth;

/// <summary>
/// Guards Watch and the xDS services with <see cref="ReadAccess"/>: a call without the read token ends with
/// UNAUTHENTICATED before the service sees it. LoadReporter is not guarded here; agents authenticate by <c>Robinhood:Auth</c>.
/// </summary>
public sealed class ReadAccessInterceptor(ReadAccess access) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var api = context.Method.StartsWith("/robinhood.", StringComparison.Ordinal) ? ReadApi.Watch : ReadApi.Xds;
        if (access.Refuse(context.RequestHeaders.GetValue("authorization"), api, context.Peer) is { } why)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, why));
        }
    }
}
