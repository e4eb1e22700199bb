using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace Robinhood.Controller.Auth;

/// <summary>Who a reviewed Kubernetes token belongs to, and so what it may report.</summary>
/// <param name="Identity">For logs: the user, and its pod or node.</param>
/// <param name="Peer">A controller replica that forwards: everything (checked where the report was received).</param>
/// <param name="Node">A node agent's node: the pods on it, watched (<see cref="NodePods"/>).</param>
/// <param name="PodHosts">A pod's own canonical IPs.</param>
public sealed record ReviewedToken(string Identity, bool Peer, string? Node, IReadOnlyList<string> PodHosts);

/// <summary>
/// Kubernetes mode: a service-account token is checked with a TokenReview for <c>Robinhood:Auth:Audience</c>;
/// it then names a pod (which may report its IPs), a node agent (every pod on its node) or a peer
/// (everything). Answers are cached for <c>Robinhood:Auth:CacheFor</c>, after which open streams ask again.
/// </summary>
public sealed class TokenReviewer(IKubernetes client, IOptions<AuthOptions> options, TimeProvider time)
{
    private const string PodNameExtra = "authentication.kubernetes.io/pod-name";
    private const string NodeNameExtra = "authentication.kubernetes.io/node-name";
    private const string ServiceAccountPrefix = "system:serviceaccount:";
    private const int MaxCached = 10_000;

    private readonly ConcurrentDictionary<string, (ReviewedToken? Reviewed, string? Refusal, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    /// <summary>Who the token belongs to, or why it is refused (the UNAUTHENTICATED message).</summary>
    public async Task<(ReviewedToken? Reviewed, string? Refusal)> ReviewAsync(string token, CancellationToken cancellationToken)
    {
        var key = StaticTokens.Fingerprint(token);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Until > now)
        {
            return (cached.Reviewed, cached.Refusal);
        }

        var (reviewed, refusal) = await ReviewUncachedAsync(token, cancellationToken).ConfigureAwait(false);
        if (_cache.Count > MaxCached)
        {
            _cache.Clear();
        }

        _cache[key] = (reviewed, refusal, now + options.Value.CacheFor);
        return (reviewed, refusal);
    }

    private async Task<(ReviewedToken? Reviewed, string? Refusal)> ReviewUncachedAsync(string token, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var review = await client.AuthenticationV1.CreateTokenReviewAsync(
            new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token, Audiences = [o.Audience] } },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        var status = review.Status;
        if (status?.Authenticated != true)
        {
            return (null, $"the token is not valid (invalid, expired or revoked){(status?.Error is { Length: > 0 } e ? ": " + e : "")}");
        }

        if (status.Audiences is not { } audiences || !audiences.Contains(o.Audience, StringComparer.Ordinal))
        {
            return (null, $"the token is not issued for the audience \"{o.Audience}\"");
        }

        var user = status.User?.Username ?? "";
        if (o.Peers.Contains(user, StringComparer.Ordinal))
        {
            return (new ReviewedToken(user, Peer: true, null, []), null);
        }

        var extra = status.User?.Extra;
        var node = First(extra, NodeNameExtra);
        if (node is { Length: > 0 } && o.NodeAgents.Contains(user, StringComparer.Ordinal))
        {
            return (new ReviewedToken($"{user} on node {node}", Peer: false, node, []), null);
        }

        var podName = First(extra, PodNameExtra);
        var ns = user.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal) ? user[ServiceAccountPrefix.Length..].Split(':')[0] : null;
        if (podName is not { Length: > 0 } || ns is not { Length: > 0 })
        {
            return (null, "the token is not bound to a pod (use a projected service-account token)");
        }

        var pod = await client.CoreV1.ReadNamespacedPodAsync(podName, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (new ReviewedToken($"{user} in pod {ns}/{podName}", Peer: false, null, NodePods.HostsOf(pod)), null);
    }

    private static string? First(IDictionary<string, IList<string>>? extra, string key) =>
        extra is not null && extra.TryGetValue(key, out var values) ? values.FirstOrDefault() : null;
}
