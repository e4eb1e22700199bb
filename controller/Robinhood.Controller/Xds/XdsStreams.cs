using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Robinhood.Controller.Publish;

namespace Robinhood.Controller.Xds;

/// <summary>Runs xDS streams of either variant over the <see cref="SnapshotCache"/>, for the ADS and EDS services.</summary>
public sealed class XdsStreams(SnapshotCache cache, IOptions<XdsOptions> options, TimeProvider time, ILogger<XdsStreams> logger)
{
    public async Task SotwAsync(string api, IReadOnlySet<string> types, IAsyncStreamReader<DiscoveryRequest> requests, IServerStreamWriter<DiscoveryResponse> responses, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var stream = new SotwStream(cache, options.Value, time, api, types, logger);
        await RunAsync(api, "sotw", () => stream.RunAsync(requests, responses, context.CancellationToken)).ConfigureAwait(false);
    }

    public async Task DeltaAsync(string api, IReadOnlySet<string> types, IAsyncStreamReader<DeltaDiscoveryRequest> requests, IServerStreamWriter<DeltaDiscoveryResponse> responses, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var stream = new DeltaStream(cache, options.Value, time, api, types, logger);
        await RunAsync(api, "delta", () => stream.RunAsync(requests, responses, context.CancellationToken)).ConfigureAwait(false);
    }

    private static async Task RunAsync(string api, string variant, Func<Task> run)
    {
        var open = ControllerMetrics.XdsStreams.WithLabels(api, variant);
        open.Inc();
        try
        {
            await run().ConfigureAwait(false);
        }
        finally
        {
            open.Dec();
        }
    }
}
