namespace Robinhood.Agent.Configuration;

/// <summary>What the agent measures (<c>Robinhood:Agent:Mode</c>).</summary>
public enum AgentMode
{
    /// <summary>One endpoint, its own cgroup: a sidecar container or embedded in the application.</summary>
    Sidecar,

    /// <summary>A DaemonSet: every labelled pod on the node, each from its pod cgroup.</summary>
    Node,
}
