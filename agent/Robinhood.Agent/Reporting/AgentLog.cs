namespace Robinhood.Agent.Reporting;

/// <summary>The agent's log events.</summary>
internal static partial class AgentLog
{
    [LoggerMessage(1, LogLevel.Information, "Endpoint {Endpoint} measures CPU from {CpuSource}")]
    public static partial void CpuSourceSelected(this ILogger logger, string endpoint, string cpuSource);

    [LoggerMessage(2, LogLevel.Debug, "Opening a report stream to {Controller}")]
    public static partial void StreamOpening(this ILogger logger, string controller);

    [LoggerMessage(3, LogLevel.Warning, "Report stream to {Controller} failed")]
    public static partial void StreamFailed(this ILogger logger, Exception exception, string controller);

    [LoggerMessage(11, LogLevel.Warning, "Report stream to {Controller} failed: {StatusCode} {Detail}")]
    public static partial void StreamFailedWithStatus(this ILogger logger, string controller, Grpc.Core.StatusCode statusCode, string detail);

    [LoggerMessage(12, LogLevel.Information, "Controller {Controller} acknowledges reports")]
    public static partial void StreamHealthy(this ILogger logger, string controller);

    [LoggerMessage(4, LogLevel.Information, "Controller {Controller} ended the report stream")]
    public static partial void StreamEnded(this ILogger logger, string controller);

    [LoggerMessage(5, LogLevel.Information, "Reconnecting to {Controller} in {Delay}")]
    public static partial void Reconnecting(this ILogger logger, string controller, TimeSpan delay);

    [LoggerMessage(6, LogLevel.Warning, "Controller refused report {Sequence} of {Endpoint}: {Error}")]
    public static partial void ReportRefused(this ILogger logger, ulong sequence, string endpoint, string error);

    [LoggerMessage(7, LogLevel.Information, "Controller asks for a report every {Interval}")]
    public static partial void ReportIntervalChanged(this ILogger logger, TimeSpan interval);

    [LoggerMessage(8, LogLevel.Warning, "No ack within {Timeout}; treating the stream as dead")]
    public static partial void AckTimedOut(this ILogger logger, TimeSpan timeout);

    [LoggerMessage(9, LogLevel.Warning, "Could not measure endpoint {Endpoint}; its report is skipped")]
    public static partial void MeasurementFailed(this ILogger logger, Exception exception, string endpoint);

    [LoggerMessage(10, LogLevel.Information, "Report stream to {Controller} completed on shutdown")]
    public static partial void StreamCompleted(this ILogger logger, string controller);

    [LoggerMessage(13, LogLevel.Information, "Watching pods on node {Node} labelled {Label}")]
    public static partial void PodWatchStarting(this ILogger logger, string node, string label);

    [LoggerMessage(14, LogLevel.Warning, "Pod watch on node {Node} failed; retrying in {Delay}")]
    public static partial void PodWatchFailed(this ILogger logger, Exception exception, string node, TimeSpan delay);

    [LoggerMessage(15, LogLevel.Information, "Pod watch resourceVersion expired; listing pods on node {Node} again")]
    public static partial void PodRelist(this ILogger logger, string node);

    [LoggerMessage(16, LogLevel.Information, "Pod {Pod} reports as {Service} {Endpoint}")]
    public static partial void PodAdded(this ILogger logger, string pod, string service, string endpoint);

    [LoggerMessage(17, LogLevel.Information, "Pod {Pod} ({Endpoint}) is gone; its reports stop")]
    public static partial void PodRemoved(this ILogger logger, string pod, string endpoint);

    [LoggerMessage(18, LogLevel.Warning, "No cgroup of pod {Pod} (uid {Uid}) below {CgroupRoot}; it is not reported until one appears")]
    public static partial void PodCgroupNotFound(this ILogger logger, string pod, string uid, string cgroupRoot);

    [LoggerMessage(19, LogLevel.Warning, "Pod {Pod} has annotation {Annotation} '{Value}', not an http(s) URL or a path; its in-flight count is unknown")]
    public static partial void PodAnnotationInvalid(this ILogger logger, string pod, string annotation, string value);
}
