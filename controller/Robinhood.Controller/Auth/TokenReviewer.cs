using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace Robinhood.Controller.Auth;

/// <summary>
/// Kubernetes mode: a service-account token is checked with a TokenReview for <c>Robinhood:Auth:Audience</c>;
/// the agent may then report the IPs of the pod the token is bound to (node agents: every pod on
/// their node; peers: everything). Answers are cached for <c>Robinhood:Auth:CacheFor</c>.
/// </summary>
public sealed class TokenReviewer(IKubernetes client, IOptions<AuthOptions> options, TimeProvider time)
{
    private const string PodNameExtra = "authentication.kubernetes.io/pod-name";
    private const string NodeNameExtra = "authentication.kubernetes.io/node-name";
    private const string ServiceAccountPrefix = "system:serviceaccount:";

    private readonly ConcurrentDictionary<string, (AgentGrant? Grant, string? Refusal, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    /// <summary>The grant of a token, or why it is refused (the UNAUTHENTICATED message).</summary>
    public async Task<(AgentGrant? Grant, string? Refusal)> ReviewAsync(string token, CancellationToken cancellationToken)
    {
        var key = StaticTokens.Fingerprint(token);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Until > now)
        {
            return (cached.Grant, cached.Refusal);
        }

        var (grant, refusal) = await ReviewUncachedAsync(token, cancellationToken).ConfigureAwait(false);
        if (_cache.Count > 10_000)
        {
            _cache.Clear();
        }

        _cache[key] = (grant, refusal, now + options.Value.CacheFor);
        return (grant, refusal);
    }

    private async Task<(AgentGrant? Grant, string? Refusal)> ReviewUncachedAsync(string token, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var review = await client.AuthenticationV1.CreateTokenReviewAsync(
            new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token, Audiences = [o.Audience] } },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        var status = review.Status;
        if (status?.Authenticated != true)
        {
            return (null, $"the token is not valid (invalid or expired){(status?.Error is { Length: > 0 } e ? ": " + e : "")}");
        }

        if (status.Audiences is not { } audiences || !audiences.Contains(o.Audience, StringComparer.Ordinal))
        {
            return (null, $"the token is not issued for the audience \"{o.Audience}\"");
        }

        var user = status.User?.Username ?? "";
        if (o.Peers.Contains(user, StringComparer.Ordinal))
        {
            return (AgentGrant.Everything(user), null);
        }

        var extra = status.User?.Extra;
        var node = First(extra, NodeNameExtra);
        if (node is { Length: > 0 } && o.NodeAgents.Contains(user, StringComparer.Ordinal))
        {
            var pods = await client.CoreV1.ListPodForAllNamespacesAsync(
                fieldSelector: $"spec.nodeName={node}", cancellationToken: cancellationToken).ConfigureAwait(false);
            return (AgentGrant.Hosts($"{user} on node {node}", pods.Items.SelectMany(IpsOf)), null);
        }

        var podName = First(extra, PodNameExtra);
        var ns = user.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal) ? user[ServiceAccountPrefix.Length..].Split(':')[0] : null;
        if (podName is not { Length: > 0 } || ns is not { Length: > 0 })
        {
            return (null, "the token is not bound to a pod (use a projected service-account token)");
        }

        var pod = await client.CoreV1.ReadNamespacedPodAsync(podName, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (AgentGrant.Hosts($"{user} in pod {ns}/{podName}", IpsOf(pod)), null);
    }

    private static string? First(IDictionary<string, IList<string>>? extra, string key) =>
        extra is not null && extra.TryGetValue(key, out var values) ? values.FirstOrDefault() : null;

    private static IEnumerable<string> IpsOf(V1Pod pod)
    {
        var ips = pod.Status?.PodIPs?.Select(p => p.Ip).ToList() ?? [];
        if (pod.Status?.PodIP is { Length: > 0 } ip)
        {
            ips.Add(ip);
        }

        return ips.Where(i => !string.IsNullOrEmpty(i)).Distinct(StringComparer.Ordinal);
    }
}
