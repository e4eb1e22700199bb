using System.Globalization;
using k8s.Models;
using Robinhood.V1;

namespace Robinhood.Agent.Node;

/// <summary>A running, labelled pod on this node as the agent reports it: one endpoint of one service.</summary>
/// <param name="Uid">The pod UID, by which its cgroup is found.</param>
/// <param name="Pod">namespace/name, for logs.</param>
/// <param name="Service">The service label's value; <c>namespace/value</c> for a pod outside the agent's home namespace.</param>
/// <param name="Endpoint"><c>podIP:port</c> in canonical form, as clients dial it.</param>
/// <param name="LimitCpus">Sum of the containers' CPU limits when every container has one; null = the pod is unbounded.</param>
/// <param name="InFlightUrl">Where to read the pod's in-flight count; null = unknown.</param>
/// <param name="MaxInFlight">The <see cref="PodEndpointLabels.MaxInFlight"/> annotation, when set.</param>
public sealed record PodEndpoint(
    string Uid,
    string Pod,
    string Service,
    string Endpoint,
    double? LimitCpus,
    Uri? InFlightUrl,
    uint? MaxInFlight)
{
    /// <summary>The endpoint of <paramref name="pod"/>, or null while it is not running with an IP, a valid service name and a port.</summary>
    /// <param name="homeNamespace">
    /// Pods here report the label's value as their service; pods elsewhere <c>namespace/value</c>, as the controller
    /// names a Service of another namespace (<c>Robinhood:Kubernetes:Services</c>). Empty: every pod the value alone.
    /// </param>
    public static PodEndpoint? From(V1Pod pod, string serviceLabel, string homeNamespace = "")
    {
        if (pod.Metadata?.Uid is not { Length: > 0 } uid
            || pod.Status is not { Phase: "Running", PodIP: { Length: > 0 } ip }
            || Value(pod.Metadata.Labels, serviceLabel) is not { Length: > 0 } label
            || ServiceOf(label, pod.Metadata.NamespaceProperty, homeNamespace) is not { } service
            || !ServiceName.IsValid(service)
            || Port(pod) is not { } port
            || !EndpointAddress.TryCreate(ip, port, out var endpoint))
        {
            return null;
        }

        var host = endpoint.IsIPv6 ? $"[{endpoint.Host}]" : endpoint.Host;
        var annotations = pod.Metadata.Annotations;
        return new PodEndpoint(
            uid,
            $"{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}",
            service,
            endpoint.Value,
            SumOfContainerLimits(pod),
            ResolveInFlightUrl(Value(annotations, PodEndpointLabels.InFlightUrl), host, port),
            uint.TryParse(Value(annotations, PodEndpointLabels.MaxInFlight), NumberStyles.None, CultureInfo.InvariantCulture, out var max)
                ? max
                : null);
    }

    private static string? ServiceOf(string label, string? podNamespace, string homeNamespace) =>
        homeNamespace.Length == 0 || podNamespace == homeNamespace ? label
        : podNamespace is { Length: > 0 } ns ? $"{ns}/{label}"
        : null;

    private static int? Port(V1Pod pod)
    {
        var ports = pod.Spec?.Containers?.SelectMany(c => c.Ports ?? []).ToList() ?? [];
        if (Value(pod.Metadata.Annotations, PodEndpointLabels.Port) is { Length: > 0 } annotated)
        {
            return int.TryParse(annotated, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                ? number is > 0 and <= 65535 ? number : (int?)null
                : ports.FirstOrDefault(p => p.Name == annotated)?.ContainerPort;
        }

        return ports.FirstOrDefault()?.ContainerPort;
    }

    // One container without a limit leaves the pod cgroup without a quota: the pod may use the whole node.
    private static double? SumOfContainerLimits(V1Pod pod)
    {
        var containers = pod.Spec?.Containers ?? [];
        if (containers.Count == 0)
        {
            return null;
        }

        double sum = 0;
        foreach (var container in containers)
        {
            if (Value(container.Resources?.Limits, "cpu") is not { } limit)
            {
                return null;
            }

            sum += (double)limit.ToDecimal();
        }

        return sum > 0 ? sum : null;
    }

    /// <summary>A label's, annotation's or limit's value; null when absent (the API's maps are plain IDictionary).</summary>
    internal static TValue? Value<TValue>(IDictionary<string, TValue>? map, string key)
        where TValue : class => map is not null && map.TryGetValue(key, out var value) ? value : null;

    private static Uri? ResolveInFlightUrl(string? annotation, string host, int port) => annotation switch
    {
        null or "" => null,
        ['/', ..] => new Uri($"http://{host}:{port}{annotation}"),
        _ => Uri.TryCreate(annotation, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? url : null,
    };
}
