using Grpc.Net.Client.Balancer;
using Robinhood.Client.Subscription;

namespace Robinhood.Client.Grpc;

/// <summary>
/// One attempt of a gRPC call on the endpoint the picker chose, carried on its HTTP request: the balancer's call
/// tracker and <see cref="RobinhoodGrpcHandler"/> both see it, and exactly one of them reports its outcome.
/// </summary>
internal sealed class GrpcAttempt(ServiceWeights service, string endpoint) : ISubchannelCallTracker
{
    public static readonly HttpRequestOptionsKey<GrpcAttempt> Key = new("Robinhood.GrpcAttempt");

    private int _reported;

    public ServiceWeights Service { get; } = service;

    public string Endpoint { get; } = endpoint;

    /// <summary>Set by the handler before the request is sent: the handler, which sees the gRPC status, reports.</summary>
    public bool Observed { get; set; }

    public void Succeeded()
    {
        if (Interlocked.Exchange(ref _reported, 1) == 0)
        {
            Service.ReportSuccess(Endpoint);
        }
    }

    public void Failed()
    {
        if (Interlocked.Exchange(ref _reported, 1) == 0)
        {
            Service.ReportFailure(Endpoint);
        }
    }

    void ISubchannelCallTracker.Start()
    {
    }

    /// <summary>
    /// Without the handler, the channel's own tracker: it ends at the response headers, so only a transport failure
    /// is seen; a call cancelled by its caller says nothing about the endpoint.
    /// </summary>
    void ISubchannelCallTracker.Complete(CompletionContext context)
    {
        if (Observed)
        {
            return;
        }

        switch (context.Error)
        {
            case null:
                Succeeded();
                break;
            case OperationCanceledException:
                break;
            default:
                Failed();
                break;
        }
    }
}
