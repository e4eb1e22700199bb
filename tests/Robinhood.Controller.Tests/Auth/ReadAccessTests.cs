using System.Net;
using System.Net.Http.Headers;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.Controller.Xds;
using Robinhood.Simulator.Fleet;
using Robinhood.Tests;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Auth;

/// <summary>
/// <c>Robinhood:Read:Token</c> over real Kestrel: Watch, xDS, <c>/api/*</c> and <c>/metrics</c> need the token, health
/// and the dashboard page do not, and with no token configured (the quickstart) every read is open.
/// </summary>
/// <remarks>The refusal counter is process-wide: the tests that refuse reads share <see cref="ReadRefusalsCollection"/>.</remarks>
[Collection(ReadRefusalsCollection.Name)]
public sealed class ReadAccessTests
{
    private const string Token = "read-token-0123456789abcdef";
    private const string Previous = "previous-read-token-0123456789";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static Metadata Bearer(string token) => new() { { "authorization", $"Bearer {token}" } };

    private static WeightSnapshot Snapshot(string service) => new()
    {
        Service = service,
        Version = 7,
        Endpoints = { new EndpointWeight { Endpoint = "10.0.0.1:8080", Weight = 1000, State = EndpointState.Active } },
    };

    private static double Refused(string api, string reason) => ControllerMetrics.ReadsRefused.WithLabels(api, reason).Value;

    [Fact]
    public async Task Watch_WithoutWrongThenRightToken_UnauthenticatedNamingTheKeyThenSnapshot()
    {
        await using var controller = await RunningController.StartAsync(null, $"--Robinhood:Read:Token={Token}", $"--Robinhood:Read:PreviousToken={Previous}");
        controller.Snapshots.Set([Snapshot("checkout")]);
        var (missing, invalid) = (Refused("watch", "missing"), Refused("watch", "invalid"));

        var none = await Assert.ThrowsAsync<RpcException>(() => FirstAsync(controller, null));
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        Assert.Equal("this controller requires a read token: send authorization: Bearer <token>, the token of Robinhood:Read:Token", none.Status.Detail);

        var wrong = await Assert.ThrowsAsync<RpcException>(() => FirstAsync(controller, Bearer("not-the-read-token-0123456789")));
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        Assert.Equal("the bearer token is not this controller's read token (Robinhood:Read:Token)", wrong.Status.Detail);

        // The token, and the previous one while clients rotate, each open the stream.
        Assert.Equal(7ul, (await FirstAsync(controller, Bearer(Token))).Version);
        Assert.Equal(7ul, (await FirstAsync(controller, Bearer(Previous))).Version);
        Assert.Equal(missing + 1, Refused("watch", "missing"));
        Assert.Equal(invalid + 1, Refused("watch", "invalid"));
    }

    [Fact]
    public async Task HttpReads_WithoutWrongThenRightToken_401ProblemThen200_HealthAndPageStayOpen()
    {
        var logs = new CapturedLogs();
        await using var controller = await RunningController.StartAsync(null, logs, $"--Robinhood:Read:Token={Token}", "--Logging:LogLevel:Robinhood=Debug");
        var (metrics, dashboard, invalid) = (Refused("metrics", "missing"), Refused("dashboard", "missing"), Refused("dashboard", "invalid"));

        foreach (var path in new[] { "/metrics", "/api/services", "/api/shards", "/api/services/checkout/endpoints" })
        {
            using var response = await GetAsync(controller, path, null);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("requires a read token: send authorization: Bearer <token>, the token of Robinhood:Read:Token", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var wrong = await GetAsync(controller, "/api/services", "not-the-read-token-0123456789"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Contains("is not this controller's read token", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var services = await GetAsync(controller, "/api/services", Token))
        {
            Assert.Equal(HttpStatusCode.OK, services.StatusCode);
        }

        using (var scrape = await GetAsync(controller, "/metrics", Token))
        {
            Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
            Assert.Contains("robinhood_controller_reads_refused_total{api=\"dashboard\",reason=\"missing\"}", await scrape.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(metrics + 1, Refused("metrics", "missing"));
        Assert.Equal(dashboard + 3, Refused("dashboard", "missing"));
        Assert.Equal(invalid + 1, Refused("dashboard", "invalid"));

        // Probes and the page need no token (the page asks for it when the API answers 401).
        using (var health = await GetAsync(controller, "/healthz", null))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        using (var ready = await GetAsync(controller, "/readyz", null))
        {
            Assert.NotEqual(HttpStatusCode.Unauthorized, ready.StatusCode);
        }

        using (var page = await GetAsync(controller, "/dashboard", null))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        // The refusals are logged (at Debug), never with the token that was tried.
        Assert.Contains(logs.Messages, m => m.Contains("Read refused (dashboard)", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Messages, m => m.Contains("not-the-read-token", StringComparison.Ordinal) || m.Contains(Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Xds_TokenRequired_RefusedWithoutServedWith_XdsWithoutTokenOpensOnlyXds()
    {
        var missing = Refused("xds", "missing");
        await using (var guarded = await RunningController.StartAsync(null, $"--Robinhood:Read:Token={Token}"))
        {
            guarded.Snapshots.Set([Snapshot("checkout")]);
            var refused = await Assert.ThrowsAsync<RpcException>(() => FirstAssignmentAsync(guarded, null));
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            Assert.Contains("Robinhood:Read:Token", refused.Status.Detail, StringComparison.Ordinal);
            Assert.Equal("7", (await FirstAssignmentAsync(guarded, Bearer(Token))).VersionInfo);
        }

        Assert.Equal(missing + 1, Refused("xds", "missing"));

        // For proxyless clients that cannot send a token: xDS open, Watch still guarded.
        await using var open = await RunningController.StartAsync(null, $"--Robinhood:Read:Token={Token}", "--Robinhood:Read:XdsWithoutToken=true");
        open.Snapshots.Set([Snapshot("checkout")]);
        Assert.Equal("7", (await FirstAssignmentAsync(open, null)).VersionInfo);
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => FirstAsync(open, null))).StatusCode);
    }

    [Fact]
    public async Task Defaults_NoToken_WatchXdsApiAndMetricsOpen()
    {
        await using var controller = await RunningController.StartAsync();
        controller.Snapshots.Set([Snapshot("checkout")]);

        Assert.Equal(7ul, (await FirstAsync(controller, null)).Version);
        Assert.Equal("7", (await FirstAssignmentAsync(controller, null)).VersionInfo);
        foreach (var path in new[] { "/metrics", "/api/services" })
        {
            using var response = await GetAsync(controller, path, null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task DemoFleet_TokenOn_ItsOwnWatchIsNotRefused()
    {
        var missing = Refused("watch", "missing");
        await using var controller = await RunningController.StartAsync(null, $"--Robinhood:Read:Token={Token}", "--Robinhood:Demo:Endpoints=4", "--Robinhood:Control:Interval=00:00:00.200");

        // The demo reports and watches its own controller; refused, its Watch would be retried (and counted) at once.
        await Eventually.TrueAsync(() => controller.Snapshots.Get("demo").Version >= 5, TimeSpan.FromSeconds(30));
        Assert.Equal(missing, Refused("watch", "missing"));
    }

    [Fact]
    public async Task TunerFromController_TokenOn_401NamesTheFlag_TheTokenFileGetsThrough()
    {
        await using var controller = await RunningController.StartAsync(null, $"--Robinhood:Read:Token={Token}");
        var file = Path.Combine(Directory.CreateTempSubdirectory("robinhood-read-token-").FullName, "token");
        await File.WriteAllTextAsync(file, Token + "\n");
        using var timeout = new CancellationTokenSource(Timeout);

        using (var bare = ControllerFleet.Client(null))
        {
            var refused = await Assert.ThrowsAsync<FormatException>(() => ControllerFleet.ReadAsync(bare, controller.Http.BaseAddress!, "checkout", timeout.Token));
            Assert.Contains("answered 401: the controller requires its read token (Robinhood:Read:Token); pass it with --read-token-file FILE", refused.Message, StringComparison.Ordinal);
        }

        // With the token the API answers: here that the service is unknown (404), past the 401.
        using var http = ControllerFleet.Client(ControllerFleet.ReadToken(file));
        var unknown = await Assert.ThrowsAsync<FormatException>(() => ControllerFleet.ReadAsync(http, controller.Http.BaseAddress!, "checkout", timeout.Token));
        Assert.Contains("answered 404", unknown.Message, StringComparison.Ordinal);

        await File.WriteAllTextAsync(file, "two tokens\n");
        Assert.Contains("must hold the token alone", Assert.Throws<FormatException>(() => ControllerFleet.ReadToken(file)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Robinhood:Read:Token=short", "Robinhood:Read:Token must be 16 to 4096 characters (got 5)")]
    [InlineData("--Robinhood:Read:Token=has space in the token", "Robinhood:Read:Token must be only A-Z a-z 0-9 - . _ ~ + / (then '=' at the end)")]
    [InlineData("--Robinhood:Read:PreviousToken=previous-read-token-0123456789", "Robinhood:Read:PreviousToken needs Robinhood:Read:Token")]
    public async Task Options_BadToken_StartRefusedNamingTheKeyAndRule(string arg, string rule)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => RunningController.StartAsync(null, arg));
        Assert.Contains(rule, error.Message, StringComparison.Ordinal);
    }

    private static async Task<WeightSnapshot> FirstAsync(RunningController controller, Metadata? headers)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var call = controller.Discovery.Watch(new WatchRequest { Services = { "checkout" } }, headers, cancellationToken: timeout.Token);
        Assert.True(await call.ResponseStream.MoveNext(timeout.Token), "the stream ended");
        return call.ResponseStream.Current;
    }

    private static async Task<DiscoveryResponse> FirstAssignmentAsync(RunningController controller, Metadata? headers)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(CallDeadline.On(controller.Channel))
            .StreamAggregatedResources(headers, cancellationToken: timeout.Token);
        await call.RequestStream.WriteAsync(new DiscoveryRequest
        {
            TypeUrl = XdsResources.EndpointType,
            ResourceNames = { "checkout" },
            Node = new Envoy.Config.Core.V3.Node { Id = "read-access-test" },
        });
        Assert.True(await call.ResponseStream.MoveNext(timeout.Token), "the stream ended");
        return call.ResponseStream.Current;
    }

    private static Task<HttpResponseMessage> GetAsync(RunningController controller, string path, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return controller.Http.SendAsync(request);
    }
}
