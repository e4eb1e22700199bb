using Robinhood.V1;

namespace Robinhood.Controller.Auth;

/// <summary>
/// What an authenticated agent may report: pairs of a service (or <c>*</c>) and an endpoint pattern —
/// <c>*</c> (all), a host (any port on it) or an exact <c>host:port</c>, compared in canonical form. A
/// grant for an endpoint in one service never lets it report that endpoint into another (docs/trust.md).
/// </summary>
public sealed class AgentGrant
{
    /// <summary>The refusal of a report for an endpoint the agent may not report into the report's service.</summary>
    public static readonly Refusal PermissionDenied = Refusal.Of(
        RefusalReason.Permission, "endpoint", "is not one this agent may report into this service (permission denied)");

    private readonly IReadOnlyList<Rule> _rules;

    private AgentGrant(string identity, IReadOnlyList<Rule> rules)
    {
        Identity = identity;
        _rules = rules;
    }

    /// <summary>Everything, for <see cref="AuthMode.None"/>.</summary>
    public static AgentGrant Anyone { get; } = new("anonymous", [Rule.All]);

    /// <summary>
    /// An authenticated identity granted every endpoint into every service (a peer replica forwarding its agents'
    /// reports): its stream carries many agents', so the per-stream services limit does not apply to it.
    /// </summary>
    public bool Peer => !ReferenceEquals(this, Anyone) && _rules.Contains(Rule.All);

    /// <summary>Who the agent is, for logs.</summary>
    public string Identity { get; }

    /// <summary>Every endpoint into every service (a peer replica that forwards, checked where it received the report).</summary>
    public static AgentGrant Everything(string identity) => new(identity, [Rule.All]);

    /// <summary>Any port on the given canonical hosts, into any service.</summary>
    public static AgentGrant Hosts(string identity, IEnumerable<string> hosts) => new(identity, [.. hosts.Select(h => new Rule(null, h, null))]);

    /// <summary>Any port on the hosts <paramref name="runs"/> admits at the time of each report (a node's pods, watched), into any service.</summary>
    public static AgentGrant Live(string identity, Func<string, bool> runs) => new(identity, [new Rule(null, null, null, runs)]);

    /// <summary>
    /// A grant from <c>service=endpoint</c> patterns (a StaticToken line); null and the reason when one does not
    /// parse. The service is a service name or <c>*</c>; the endpoint <c>*</c>, a host, or <c>host:port</c>.
    /// </summary>
    public static AgentGrant? Parse(string identity, IEnumerable<string> patterns, out string? error)
    {
        var rules = new List<Rule>();
        foreach (var pattern in patterns)
        {
            if (Rule.Parse(pattern, out error) is not { } rule)
            {
                return null;
            }

            rules.Add(rule);
        }

        error = null;
        return new AgentGrant(identity, rules);
    }

    /// <summary>Null when the agent may report <paramref name="endpoint"/> into <paramref name="service"/>, else <see cref="PermissionDenied"/>.</summary>
    public Refusal? Check(string service, EndpointAddress endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        foreach (var rule in _rules)
        {
            if (rule.Allows(service, endpoint))
            {
                return null;
            }
        }

        return PermissionDenied;
    }

    /// <summary>One pattern: null parts match anything; <paramref name="Runs"/>, when set, decides the host at report time.</summary>
    private sealed record Rule(string? Service, string? Host, int? Port, Func<string, bool>? Runs = null)
    {
        public static readonly Rule All = new(null, null, null);

        public bool Allows(string service, EndpointAddress endpoint) =>
            (Service is null || string.Equals(Service, service, StringComparison.Ordinal))
            && (Host is null || string.Equals(Host, endpoint.Host, StringComparison.Ordinal))
            && (Port is null || Port == endpoint.Port)
            && (Runs is null || Runs(endpoint.Host));

        public static Rule? Parse(string pattern, out string? error)
        {
            error = null;
            var equals = pattern.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                error = $"pattern \"{Refusal.Cut(pattern)}\" must be service=endpoint (service: a name or *; endpoint: *, a host or host:port)";
                return null;
            }

            var service = pattern[..equals].Trim();
            var endpoint = pattern[(equals + 1)..].Trim();
            if (service != "*" && ServiceName.Check(service) is { } badService)
            {
                error = $"pattern \"{Refusal.Cut(pattern)}\": {badService.Message}";
                return null;
            }

            var anyService = service == "*" ? null : service;
            if (endpoint == "*")
            {
                return new Rule(anyService, null, null);
            }

            if (EndpointAddress.TryParse(endpoint, out var exact, out _))
            {
                return new Rule(anyService, exact.Host, exact.Port);
            }

            if (EndpointAddress.TryParseHost(endpoint, out var host, out _, out var badHost))
            {
                return new Rule(anyService, host, null);
            }

            error = $"pattern \"{Refusal.Cut(pattern)}\": {badHost.Message}";
            return null;
        }
    }
}
