using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Robinhood.Controller.Membership;

/// <summary>
/// One entry of <c>Robinhood:Kubernetes:Services</c>: a Kubernetes Service, <c>name</c> in the controller's
/// namespace or <c>namespace/name</c>; <see cref="Service"/> (the entry as written) is its Robinhood service name.
/// </summary>
public sealed partial record KubernetesService(string Service, string Namespace, string Name)
{
    public static bool TryParse(string? entry, string defaultNamespace, [NotNullWhen(true)] out KubernetesService? service)
    {
        service = null;
        if (entry is null)
        {
            return false;
        }

        var slash = entry.IndexOf('/', StringComparison.Ordinal);
        var ns = slash < 0 ? defaultNamespace : entry[..slash];
        var name = entry[(slash + 1)..];
        if (!DnsLabel().IsMatch(ns) || !DnsLabel().IsMatch(name))
        {
            return false;
        }

        service = new KubernetesService(entry, ns, name);
        return true;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
