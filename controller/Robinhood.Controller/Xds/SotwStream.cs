using System.IO.Hashing;
using System.Text;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Robinhood.Controller.Publish;
using Robinhood.V1;

namespace Robinhood.Controller.Xds;

/// <summary>
/// A state-of-the-world stream (StreamAggregatedResources, StreamEndpoints). Per type URL the client
/// names what it wants (or nothing, or "*": every service), and each response carries a version_info and
/// a nonce. An ACK echoes the nonce; a NACK adds error_detail and is logged and counted, and changes
/// nothing: the client keeps its last good version and is sent the next change. A request with an older
/// nonce is stale and ignored. Listeners and clusters are always sent whole (their absence means
/// removal); endpoints only where they changed.
/// </summary>
internal sealed class SotwStream(
    SnapshotCache cache,
    XdsOptions options,
    TimeProvider time,
    string api,
    IReadOnlySet<string> types,
    ILogger logger) : XdsStream<DiscoveryRequest, DiscoveryResponse, SotwStream.TypeState>(cache, options, time, api, types, logger)
{
    protected override void Apply(DiscoveryRequest request)
    {
        if (TypeOf(request.TypeUrl, request.Node) is not { } typeUrl)
        {
            return;
        }

        if (!Types.TryGetValue(typeUrl, out var state))
        {
            Types[typeUrl] = state = new TypeState();
        }
        else if (request.ResponseNonce != (state.Nonce ?? ""))
        {
            // Sent before our latest response reached the client: that response answers it.
            return;
        }

        if (request.ResponseNonce.Length > 0 && request.ErrorDetail is { } error)
        {
            Nack(typeUrl, request.VersionInfo, request.ResponseNonce, error.Message);
        }

        CheckLimit("resource_names", typeUrl, request.ResourceNames.Count);
        var first = state.Nonce is null && state.Sent is null;
        state.Wildcard = request.ResourceNames.Contains("*") || (request.ResourceNames.Count == 0 && (first || state.Wildcard));
        state.Names = request.ResourceNames.Where(IsServiceName).ToHashSet(StringComparer.Ordinal);

        if (request.ResponseNonce.Length == 0 && request.VersionInfo.Length > 0)
        {
            // A client back on a new stream with the version it holds: if that is the current state, it
            // is up to date and is sent only what changes from here.
            var current = Versions(typeUrl, Current(state));
            if (VersionInfo(current) == request.VersionInfo)
            {
                state.Sent = current;
            }
        }

        Follow();
    }

    protected override Outgoing? Due(string typeUrl, TypeState state)
    {
        var snapshots = Current(state);
        var current = Versions(typeUrl, snapshots);
        var sent = state.Sent;
        // Listeners and clusters go whole whenever the set differs; endpoints only where they changed.
        var whole = typeUrl != XdsResources.EndpointType;
        var changed = current.Where(p => sent is null || !sent.TryGetValue(p.Key, out var v) || v != p.Value).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        if (sent is not null && changed.Count == 0 && (!whole || sent.Count == current.Count))
        {
            state.Sent = current;
            return null;
        }

        var response = new DiscoveryResponse { TypeUrl = typeUrl, VersionInfo = VersionInfo(current), Nonce = NextNonce() };
        Timestamp? pushed = null;
        foreach (var name in (whole ? (IEnumerable<string>)current.Keys : changed).Order(StringComparer.Ordinal))
        {
            var snapshot = snapshots[name];
            response.Resources.Add(XdsResources.Resource(typeUrl, snapshot));
            if (sent is not null && sent.ContainsKey(name) && changed.Contains(name) && snapshot.ComputedAt is { } at && (pushed is null || at < pushed))
            {
                pushed = at;
            }
        }

        state.Sent = current;
        state.Nonce = response.Nonce;
        return new Outgoing(response, typeUrl, pushed);
    }

    private static Dictionary<string, string> Versions(string typeUrl, Dictionary<string, WeightSnapshot> snapshots) =>
        snapshots.ToDictionary(p => p.Key, p => XdsResources.Version(typeUrl, p.Value), StringComparer.Ordinal);

    /// <summary>
    /// A type's version_info: the snapshot version itself when it carries one resource, else a hash of
    /// every (name, version) pair, so equal strings mean equal contents.
    /// </summary>
    internal static string VersionInfo(IReadOnlyDictionary<string, string> versions)
    {
        if (versions.Count == 1)
        {
            return versions.Values.First();
        }

        var hash = new XxHash64();
        foreach (var (name, version) in versions.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            hash.Append(Encoding.UTF8.GetBytes(name));
            hash.Append([0]);
            hash.Append(Encoding.UTF8.GetBytes(version));
            hash.Append([0]);
        }

        return "h" + Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    internal sealed class TypeState : XdsSubscription
    {
        /// <summary>What the last response left the client holding; null before the first response.</summary>
        public Dictionary<string, string>? Sent { get; set; }

        /// <summary>The nonce of the last response; null before the first.</summary>
        public string? Nonce { get; set; }
    }
}
