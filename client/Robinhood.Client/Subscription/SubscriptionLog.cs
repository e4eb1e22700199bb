using Microsoft.Extensions.Logging;

namespace Robinhood.Client.Subscription;

internal static partial class SubscriptionLog
{
    [LoggerMessage(1, LogLevel.Information, "Watching {Services} at {Controller}")]
    public static partial void Watching(ILogger logger, string services, Uri controller);

    [LoggerMessage(2, LogLevel.Warning, "Watch stream to {Controller} failed; serving the last snapshots, reconnecting in {Delay}")]
    public static partial void WatchFailed(ILogger logger, Uri controller, TimeSpan delay, Exception exception);

    [LoggerMessage(3, LogLevel.Warning, "Watch stream to {Controller} ended; serving the last snapshots, reconnecting in {Delay}")]
    public static partial void WatchEnded(ILogger logger, Uri controller, TimeSpan delay);

    [LoggerMessage(4, LogLevel.Debug, "Applied snapshot {Version} of {Service}: {Endpoints} endpoints")]
    public static partial void Applied(ILogger logger, string service, ulong version, int endpoints);

    [LoggerMessage(5, LogLevel.Debug, "Ignored snapshot {Version} of {Service}: not above {Current}")]
    public static partial void IgnoredStale(ILogger logger, string service, ulong version, ulong current);

    [LoggerMessage(6, LogLevel.Warning, "Snapshot {Version} of {Service} left out endpoints that are not host:port or repeat: {Endpoints}")]
    public static partial void RejectedEndpoints(ILogger logger, string service, ulong version, string endpoints);

    [LoggerMessage(7, LogLevel.Warning, "Controller unreachable for {Age}, longer than Robinhood:Client:MaxSnapshotAge: {Service} falls back to equal weights")]
    public static partial void FellBack(ILogger logger, string service, TimeSpan age);

    [LoggerMessage(8, LogLevel.Debug, "Ignored snapshot of {Service}, which nobody asked for")]
    public static partial void IgnoredUnknown(ILogger logger, string service);
}
