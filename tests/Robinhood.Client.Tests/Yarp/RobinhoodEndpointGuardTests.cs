using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Robinhood.Client.Subscription;
using Robinhood.Client.Tests.Support;
using Yarp.ReverseProxy.Model;

namespace Robinhood.Client.Tests.Yarp;

/// <summary>YARP with Robinhood over real Kestrel and real backends, one step placed between the policy's pick and Robinhood's.</summary>
public sealed class RobinhoodEndpointGuardTests
{
    [Fact]
    public async Task Get_PickedEndpointEjectedBeforeTheGuard_SentToAnotherNotAnswered503()
    {
        await using var controller = await WeightServer.StartAsync();
        var served = new int[2];
        await using var a = await Backend.StartHttpAsync("a", served: () => Interlocked.Increment(ref served[0]));
        await using var b = await Backend.StartHttpAsync("b", served: () => Interlocked.Increment(ref served[1]));
        controller.Publish("web", 1, (a.Endpoint, 1000u), (b.Endpoint, 1000u));

        // Another request's fifth failure ejecting the picked endpoint just after the pick, as four requests in flight
        // on a loaded machine can.
        var builder = WebApplication.CreateSlimBuilder();
        // The proxy's appsettings.json lands in this output folder too; its Kestrel endpoints are not ours.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddCommandLine([
            $"--Robinhood:Controller={controller.Address}",
            "--Robinhood:Proxy:DefaultService=web",
            "--Urls=http://127.0.0.1:0",
        ]);
        builder.Logging.ClearProviders();
        builder.Services.AddReverseProxy().AddRobinhood();
        await using var proxy = builder.Build();
        var weights = proxy.Services.GetRequiredService<WeightSubscription>().Service("web");
        string? picked = null;
        proxy.MapReverseProxy(pipeline =>
        {
            pipeline.UseLoadBalancing();
            pipeline.Use((context, next) =>
            {
                picked = context.GetReverseProxyFeature().AvailableDestinations.Single().DestinationId;
                for (var i = 0; i < 5; i++)
                {
                    weights.ReportFailure(picked);
                }

                return next();
            });
            pipeline.UseRobinhood();
        });
        await proxy.StartAsync();
        var address = new Uri(proxy.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        await ClientHost.WaitUntilAsync(() => weights.Current.Endpoints.Count == 2, "the proxy to hold both endpoints");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri(address, "/buy"));
        var body = await response.Content.ReadAsStringAsync();

        var other = picked == a.Endpoint ? "b" : "a";
        Assert.Equal([picked!], weights.Ejected);
        Assert.Equal((HttpStatusCode.OK, other), (response.StatusCode, body));
        Assert.Equal(0, Volatile.Read(ref served[picked == a.Endpoint ? 0 : 1]));
    }
}
