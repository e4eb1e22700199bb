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
}
