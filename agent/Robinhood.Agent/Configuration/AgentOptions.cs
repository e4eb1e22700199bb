using Robinhood.Agent.Node;

namespace Robinhood.Agent.Configuration;

/// <summary>Settings of the agent, bound from <c>Robinhood:Agent</c> (plus <c>Robinhood:Controller</c>).</summary>
public sealed class AgentOptions
{
    public const string SectionName = "Robinhood:Agent";
    public const string ControllerKey = "Robinhood:Controller";
    public const string DefaultController = "http://127.0.0.1:7000";

    /// <summary>Controller gRPC address (<c>Robinhood:Controller</c>).</summary>
    public string Controller { get; set; } = DefaultController;

    /// <summary>How the agent runs: one endpoint (sidecar or embedded) or every labelled pod on a node.</summary>
    public AgentMode Mode { get; set; } = AgentMode.Sidecar;

    /// <summary>Node mode: the node whose pods are measured (the chart sets it from <c>spec.nodeName</c>). Required there.</summary>
    public string NodeName { get; set; } = "";

    /// <summary>Node mode: pods carrying this label are measured; its value is the service name.</summary>
    public string ServiceLabel { get; set; } = PodEndpointLabels.Service;

    /// <summary>
    /// Node mode: pods in this namespace (the controller's; the chart sets the release namespace) report the service
    /// label's value as their service, pods in others <c>namespace/value</c>. Empty: the value alone for every pod.
    /// </summary>
    public string Namespace { get; set; } = "";

    /// <summary>Node mode: the Kubernetes API address; unset = in-cluster (else the kubeconfig).</summary>
    public string? KubernetesHost { get; set; }

    /// <summary>Service this endpoint belongs to. Required in sidecar mode.</summary>
    public string Service { get; set; } = "";

    /// <summary>This endpoint's <c>host:port</c>, as clients dial it. Required in sidecar mode.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>Optional topology zone.</summary>
    public string Zone { get; set; } = "";

    /// <summary>Concurrency the endpoint is sized for; 0 = unknown.</summary>
    public uint MaxInFlight { get; set; }

    /// <summary>
    /// Sidecar mode: a local URL of the application answering with its in-flight count, either a
    /// plain integer (<c>17</c>) or JSON (<c>{"in_flight":17}</c>). Unset: the embedded middleware's count
    /// (0 when the middleware is not in the pipeline).
    /// </summary>
    public Uri? InFlightUrl { get; set; }

    /// <summary>File holding a bearer token, read on every connect; unset = no authorization header.</summary>
    public string? TokenFile { get; set; }

    /// <summary>Root of the cgroup file system (cgroup v2 unified, or the v1 controller mounts below it).</summary>
    public string CgroupRoot { get; set; } = "/sys/fs/cgroup";

    /// <summary>
    /// Sidecar container (the agent's own process): the application container's CPU limit in millicores, as the
    /// Downward API gives it (<c>resourceFieldRef: {containerName: app, resource: limits.cpu, divisor: 1m}</c>).
    /// 0: the machine's CPUs.
    /// </summary>
    public uint ApplicationCpuMillis { get; set; }

    /// <summary>
    /// Sidecar container: measure only the processes of this name (<c>/proc/&lt;pid&gt;/comm</c>, at most 15
    /// characters); unset: every process of the pod outside the agent's own container.
    /// </summary>
    public string? ApplicationProcess { get; set; }

    /// <summary>
    /// Root of procfs: a sidecar agent finds the application's processes here (the pod's shared process
    /// namespace); embedded, it is read when no cgroup CPU accounting is found.
    /// </summary>
    public string ProcRoot { get; set; } = "/proc";

    /// <summary>Reports are sent this often until the controller's first ack names an interval.</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A report not acknowledged within this time means the stream is dead: reconnect.</summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First reconnect delay; doubled per failed attempt up to <see cref="ReconnectMaxDelay"/>, with jitter.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest reconnect delay.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
}
