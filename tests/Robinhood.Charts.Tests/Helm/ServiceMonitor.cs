using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Robinhood.Charts.Tests.Helm;

/// <summary>The part of the Prometheus Operator's ServiceMonitor (monitoring.coreos.com/v1) the chart renders.</summary>
public sealed class ServiceMonitor : IKubernetesObject<V1ObjectMeta>
{
    public const string TypeKey = "monitoring.coreos.com/v1/ServiceMonitor";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public ServiceMonitorSpec Spec { get; set; } = new();
}

public sealed class ServiceMonitorSpec
{
    [JsonPropertyName("selector")]
    public V1LabelSelector Selector { get; set; } = new();

    [JsonPropertyName("namespaceSelector")]
    public ServiceMonitorNamespaceSelector NamespaceSelector { get; set; } = new();

    [JsonPropertyName("endpoints")]
    public IList<ServiceMonitorEndpoint> Endpoints { get; set; } = [];
}

public sealed class ServiceMonitorNamespaceSelector
{
    [JsonPropertyName("matchNames")]
    public IList<string> MatchNames { get; set; } = [];
}

public sealed class ServiceMonitorEndpoint
{
    [JsonPropertyName("port")]
    public string Port { get; set; } = "";

    [JsonPropertyName("path")]
    public string Path { get; set; } = "";

    [JsonPropertyName("interval")]
    public string Interval { get; set; } = "";

    [JsonPropertyName("scrapeTimeout")]
    public string ScrapeTimeout { get; set; } = "";

    [JsonPropertyName("authorization")]
    public ServiceMonitorAuthorization? Authorization { get; set; }
}

/// <summary>An endpoint's <c>authorization</c>: the scheme and the Secret key holding the credentials.</summary>
public sealed class ServiceMonitorAuthorization
{
    [JsonPropertyName("type")]
    public string Type { get; set; } = "";

    [JsonPropertyName("credentials")]
    public V1SecretKeySelector Credentials { get; set; } = new();
}
