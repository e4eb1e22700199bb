namespace Robinhood.Agent.Node;

/// <summary>The label and annotations by which a pod asks the node agent to report it.</summary>
public static class PodEndpointLabels
{
    /// <summary>Label (default of <c>Robinhood:Agent:ServiceLabel</c>): the pod is measured; the value is its service.</summary>
    public const string Service = "robinhood.io/service";

    /// <summary>Annotation: the port clients dial (number, or the name of a container port); else the first container port.</summary>
    public const string Port = "robinhood.io/port";

    /// <summary>Annotation: URL answering the pod's in-flight count (absolute, or a path on <c>podIP:port</c>).</summary>
    public const string InFlightUrl = "robinhood.io/in-flight-url";

    /// <summary>Annotation: the concurrency the pod is sized for; else <c>Robinhood:Agent:MaxInFlight</c> with an in-flight URL, else 0.</summary>
    public const string MaxInFlight = "robinhood.io/max-in-flight";
}
