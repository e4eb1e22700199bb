using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Robinhood.Control;
using Robinhood.Controller.Auth;
using Robinhood.Controller.Control;
using Robinhood.Controller.Leadership;
using Robinhood.V1;

namespace Robinhood.Controller.Ingest;

/// <summary>
/// <c>LoadReporter.Report</c>: validates every report, hands accepted ones to the <see cref="Fleet"/>,
/// and answers each with exactly one ack. A refused report changes nothing and the stream stays open.
/// </summary>
public sealed partial class LoadReporterService(
    Fleet fleet,
    ControlSettingsSource settings,
    AgentAuthenticator authenticator,
    LeaderRole role,
    ReportForwarder forwarder,
    ILogger<LoadReporterService> logger) : LoadReporter.LoadReporterBase
{
    public override async Task Report(
        IAsyncStreamReader<LoadReport> requestStream,
        IServerStreamWriter<ReportAck> responseStream,
        ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);

        // Sequences are per stream: an agent that restarts opens a new stream and may start again.
        var lastSequence = new Dictionary<(string Service, string Endpoint), ulong>();
        var interval = Duration.FromTimeSpan(settings.Current.Interval);
        var grant = await authenticator.AuthenticateAsync(context).ConfigureAwait(false);
        LogStreamOpened(context.Peer);
        try
        {
            await foreach (var report in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                var key = (report.Service, report.Endpoint);
                var error = ReportValidator.Validate(report)
                    ?? (lastSequence.TryGetValue(key, out var last) && report.Sequence <= last
                        ? $"sequence must be above the last accepted on this stream ({last}) (got {report.Sequence})"
                        : null)
                    ?? grant.Check(report.Endpoint);

                if (error is null && role.Elected && !role.IsLeader)
                {
                    // A follower: the leader decides; its ack answers the agent.
                    error = await forwarder.ForwardAsync(report, context.CancellationToken).ConfigureAwait(false);
                }
                else if (error is null)
                {
                    fleet.Observe(report.Service, new EndpointLoad(
                        report.Endpoint,
                        report.Zone,
                        report.CpuUtilization,
                        report.InFlight,
                        report.MaxInFlight,
                        report.RequestsPerSecond));
                }

                if (error is null)
                {
                    lastSequence[key] = report.Sequence;
                    ControllerMetrics.ReportsAccepted.Inc();
                }
                else
                {
                    ControllerMetrics.Reports.WithLabels("refused", Reason(error)).Inc();
                    LogRefused(report.Service, report.Endpoint, error);
                }

                await responseStream.WriteAsync(new ReportAck
                {
                    Service = report.Service,
                    Endpoint = report.Endpoint,
                    Sequence = report.Sequence,
                    Accepted = error is null,
                    Error = error ?? "",
                    ReportInterval = interval,
                }, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The agent went away or the controller is shutting down.
        }

        LogStreamClosed(context.Peer);
    }

    /// <summary>The refused field, a bounded label value for metrics.</summary>
    private static string Reason(string error) => error == AgentGrant.PermissionDenied
        ? "permission"
        : error[..Math.Max(0, error.IndexOf(' ', StringComparison.Ordinal))];

    [LoggerMessage(Level = LogLevel.Debug, Message = "Report stream opened by {Peer}")]
    private partial void LogStreamOpened(string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Report stream closed by {Peer}")]
    private partial void LogStreamClosed(string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Report refused for {Service}/{Endpoint}: {Error}")]
    private partial void LogRefused(string service, string endpoint, string error);
}
