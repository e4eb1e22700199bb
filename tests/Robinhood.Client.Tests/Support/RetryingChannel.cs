using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using Robinhood.Client.Grpc;

namespace Robinhood.Client.Tests.Support;

/// <summary>A <c>robinhood:///service</c> channel as the client README sets one up: the handler, and one retry of UNAVAILABLE calls.</summary>
public static class RetryingChannel
{
    public static GrpcChannel For(IServiceProvider client, string service) => GrpcChannel.ForAddress($"robinhood:///{service}", new GrpcChannelOptions
    {
        ServiceProvider = client,
        Credentials = ChannelCredentials.Insecure,
        HttpHandler = new RobinhoodGrpcHandler(),
        ServiceConfig = new ServiceConfig
        {
            MethodConfigs =
            {
                new MethodConfig
                {
                    Names = { MethodName.Default },
                    RetryPolicy = new RetryPolicy
                    {
                        MaxAttempts = 2,
                        InitialBackoff = TimeSpan.FromMilliseconds(10),
                        MaxBackoff = TimeSpan.FromMilliseconds(10),
                        BackoffMultiplier = 1,
                        RetryableStatusCodes = { StatusCode.Unavailable },
                    },
                },
            },
        },
    });
}
