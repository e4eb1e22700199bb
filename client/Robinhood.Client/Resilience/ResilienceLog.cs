using Microsoft.Extensions.Logging;

namespace Robinhood.Client.Resilience;

internal static partial class ResilienceLog
{
    [LoggerMessage(1, LogLevel.Warning, "Ejected {Endpoint} of {Service} for {Duration} after {Failures} consecutive failures (ejection {Ejections} in a row)")]
    public static partial void Ejected(ILogger logger, string endpoint, string service, TimeSpan duration, int failures, int ejections);

    [LoggerMessage(2, LogLevel.Information, "{Endpoint} of {Service} is back from ejection")]
    public static partial void Returned(ILogger logger, string endpoint, string service);
}
