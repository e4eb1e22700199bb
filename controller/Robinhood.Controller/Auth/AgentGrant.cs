using System.Globalization;

namespace Robinhood.Controller.Auth;

/// <summary>
/// What an authenticated agent may report: endpoints matching its patterns — <c>*</c> (all), a host
/// (any port on it) or an exact <c>host:port</c>.
/// </summary>
public sealed class AgentGrant
{
    /// <summary>The ack error of a report for an endpoint the agent may not report.</summary>
    public const string PermissionDenied = "endpoint is not one this agent may report (permission denied)";

    private readonly bool _all;
    private readonly HashSet<string> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _endpoints = new(StringComparer.OrdinalIgnoreCase);

    public AgentGrant(string identity, IEnumerable<string> patterns)
    {
        Identity = identity;
        foreach (var p in patterns)
        {
            if (p == "*")
            {
                _all = true;
            }
            else if (IsEndpoint(p))
            {
                _endpoints.Add(p);
            }
            else
            {
                _hosts.Add(p.StartsWith('[') && p.EndsWith(']') ? p[1..^1] : p);
            }
        }
    }

    /// <summary>Everything, for <see cref="AuthMode.None"/>.</summary>
    public static AgentGrant Anyone { get; } = new("anonymous", ["*"]);

    /// <summary>Who the agent is, for logs.</summary>
    public string Identity { get; }

    /// <summary>Null when the agent may report the endpoint, else <see cref="PermissionDenied"/>.</summary>
    public string? Check(string endpoint)
    {
        if (_all || _endpoints.Contains(endpoint))
        {
            return null;
        }

        var colon = endpoint.LastIndexOf(':');
        var host = colon > 0 ? endpoint[..colon] : endpoint;
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return _hosts.Contains(host) ? null : PermissionDenied;
    }

    private static bool IsEndpoint(string pattern)
    {
        var colon = pattern.LastIndexOf(':');
        return colon > 0
            && (pattern[0] == '[' ? pattern[colon - 1] == ']' : pattern.IndexOf(':', StringComparison.Ordinal) == colon)
            && int.TryParse(pattern.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _);
    }
}
