using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Robinhood.Controller.Publish;
using Robinhood.V1;

namespace Robinhood.Controller.Xds;

/// <summary>
/// An incremental stream (DeltaAggregatedResources, DeltaEndpoints). Per type URL the client subscribes
/// and unsubscribes names ("*", or nothing on its first request: every service), may say which versions
/// it already holds, and is sent only resources whose version it does not hold, and the names of those
/// that went away. A NACK is logged and counted and changes nothing.
/// </summary>
internal sealed class DeltaStream(
    SnapshotCache cache,
    XdsOptions options,
    TimeProvider time,
    string api,
    IReadOnlySet<string> types,
    ILogger logger) : XdsStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse, DeltaStream.TypeState>(cache, options, time, api, types, logger)
{
    protected override void Apply(DeltaDiscoveryRequest request)
    {
        if (TypeOf(request.TypeUrl, request.Node) is not { } typeUrl)
        {
            return;
        }

        var first = !Types.TryGetValue(typeUrl, out var state);
        if (state is null)
        {
            Types[typeUrl] = state = new TypeState();
            CheckLimit("initial_resource_versions", typeUrl, request.InitialResourceVersions.Count);
            foreach (var (name, version) in request.InitialResourceVersions)
            {
                if (IsServiceName(name))
                {
                    state.ClientHas[name] = version;
                }
            }
        }

        if (request.ResponseNonce.Length > 0 && request.ErrorDetail is { } error)
        {
            Nack(typeUrl, "", request.ResponseNonce, error.Message);
        }

        foreach (var name in request.ResourceNamesSubscribe)
        {
            if (name == "*")
            {
                state.Wildcard = true;
            }
            else if (IsServiceName(name))
            {
                state.Names.Add(name);
            }
        }

        if (first && request.ResourceNamesSubscribe.Count == 0)
        {
            state.Wildcard = true;
        }

        foreach (var name in request.ResourceNamesUnsubscribe)
        {
            if (name == "*")
            {
                state.Wildcard = false;
            }
            else if (state.Names.Remove(name))
            {
                // Unsubscribed: the client drops it itself; it is not sent as removed.
                state.ClientHas.Remove(name);
            }
        }

        CheckLimit("resource_names_subscribe", typeUrl, state.Names.Count);
        Follow();
    }

    protected override Outgoing? Due(string typeUrl, TypeState state)
    {
        var current = Current(state);
        var response = new DeltaDiscoveryResponse { TypeUrl = typeUrl };
        Timestamp? pushed = null;
        foreach (var (name, snapshot) in current.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var version = XdsResources.Version(typeUrl, snapshot);
            var had = state.ClientHas.TryGetValue(name, out var held);
            if (had && held == version)
            {
                continue;
            }

            response.Resources.Add(new Resource { Name = name, Version = version, Resource_ = XdsResources.Resource(typeUrl, snapshot) });
            state.ClientHas[name] = version;
            if (had && snapshot.ComputedAt is { } at && (pushed is null || at < pushed))
            {
                pushed = at;
            }
        }

        foreach (var name in state.ClientHas.Keys.Where(n => !current.ContainsKey(n)).Order(StringComparer.Ordinal).ToList())
        {
            response.RemovedResources.Add(name);
            state.ClientHas.Remove(name);
        }

        if (response.Resources.Count == 0 && response.RemovedResources.Count == 0)
        {
            return null;
        }

        response.Nonce = NextNonce();
        return new Outgoing(response, typeUrl, pushed);
    }

    internal sealed class TypeState : XdsSubscription
    {
        /// <summary>Resource name to the version the client holds (told us, or was sent).</summary>
        public Dictionary<string, string> ClientHas { get; } = new(StringComparer.Ordinal);
    }
}
