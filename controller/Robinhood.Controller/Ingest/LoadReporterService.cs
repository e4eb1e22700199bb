using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Robinhood.Control;
using Robinhood.Controller.Auth;
using Robinhood.Controller.Control;
using Robinhood.Controller.Leadership;
using Robinhood.Controller.Membership;
using Robinhood.V1;

namespace Robinhood.Controller.Ingest;

/// <summary>
/// <c>LoadReporter.Report</c>: validates every report, checks that its sender may report the endpoint into
/// the service (the grant, and with Kubernetes membership the service's EndpointSlices) before it is
/// handed to the <see cref="Fleet"/> or forwarded to the owner of the service's shard, and answers each with exactly one ack. A refused report changes nothing and the stream stays open.
/// Bound by <see cref="LoadReporterMethods"/>.
/// </summary>
public sealed partial class LoadReporterService(
    Fleet fleet,
    ControlSettingsSource settings,
    AgentAuthenticator authenticator,
    ServiceMembers members,
    Ownership ownership,
    ReportForwarder forwarder,
    IOptions<LimitsOptions> limits,
    TimeProvider time,
    ILogger<LoadReporterService> logger)
{
    public async Task Report(
        IAsyncStreamReader<IncomingReport> requestStream,
        IServerStreamWriter<ReportAck> responseStream,
        ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);

        // Sequences are per stream: an agent that restarts opens a new stream and may start again. An endpoint
        // the stream has not carried for ForgetIdleServicesAfter is dropped (checked once per that time).
        var lastSequence = new Dictionary<(string Service, string Endpoint), (ulong Sequence, DateTimeOffset At)>();
        var l = limits.Value;
        var forgetAfter = l.ForgetIdleServicesAfter;
        var pruneAt = time.GetUtcNow() + forgetAfter;
        // The services this stream has reported into (accepted, and not pruned with their sequences), bounded by MaxServicesPerStream.
        var services = new HashSet<string>(StringComparer.Ordinal);
        var interval = Duration.FromTimeSpan(settings.Current.Interval);
        var refusals = new RefusalLog(time, l.RefusedReportLogInterval);
        // One ack per stream, refilled for each report: a write is serialized before it completes, and each is awaited.
        var ack = new ReportAck { ReportInterval = interval };
        using var session = await authenticator.OpenAsync(context).ConfigureAwait(false);
        LogStreamOpened(context.Peer);
        try
        {
            // A stream that brings no whole report for ReportStreamIdleTimeout (silent, or one message trickling in) ends.
            using var silence = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
            using var reading = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, silence.Token);
            while (await NextAsync(requestStream, silence, l.ReportStreamIdleTimeout, reading.Token).ConfigureAwait(false))
            {
                var (report, notUtf8) = requestStream.Current;
                // A token that expired or was revoked since the stream opened ends it here (UNAUTHENTICATED).
                await authenticator.RecheckAsync(session, context).ConfigureAwait(false);
                var now = time.GetUtcNow();
                if (now >= pruneAt)
                {
                    pruneAt = now + forgetAfter;
                    Prune(lastSequence, services, now - forgetAfter);
                }

                EndpointAddress? endpoint = null;
                var refusal = notUtf8 ?? ReportValidator.Validate(report, out endpoint);
                var key = (report.Service, endpoint?.Value ?? "");
                refusal ??= lastSequence.TryGetValue(key, out var last) && report.Sequence <= last.Sequence
                    ? Refusal.Of(RefusalReason.Sequence, "sequence", $"must be above the last accepted on this stream ({last.Sequence}) (got {report.Sequence})")
                    : session.Grant.Check(report.Service, endpoint!) ?? members.Check(report.Service, endpoint!.Value);
                if (refusal is null && services.Count >= l.MaxServicesPerStream && !session.Grant.Peer && !services.Contains(report.Service))
                {
                    refusal = Refusal.Of(RefusalReason.StreamLimit, "service",
                        $"would be one more than the {l.MaxServicesPerStream} services one stream may report into (Robinhood:Limits:MaxServicesPerStream)");
                }

                if (refusal is null && ownership.Elected && !ownership.Owns(report.Service))
                {
                    // Another replica controls the service: its owner decides, and its ack answers the agent.
                    var forwarded = report.Clone();
                    forwarded.Endpoint = endpoint!.Value;
                    refusal = await forwarder.ForwardAsync(forwarded, context.CancellationToken).ConfigureAwait(false);
                }
                else if (refusal is null)
                {
                    refusal = fleet.Observe(report.Service, new EndpointLoad(
                        endpoint!.Value,
                        report.Zone,
                        report.CpuUtilization,
                        report.InFlight,
                        report.MaxInFlight,
                        report.RequestsPerSecond));
                }

                if (refusal is null)
                {
                    lastSequence[key] = (report.Sequence, now);
                    if (!session.Grant.Peer)
                    {
                        services.Add(report.Service);
                    }

                    ControllerMetrics.ReportsAccepted.Inc();
                }
                else
                {
                    ControllerMetrics.Reports.WithLabels("refused", refusal.Label).Inc();
                    if (refusals.Take(refusal.Reason, out var unlogged))
                    {
                        LogRefused(Refusal.Cut(report.Service), Refusal.Cut(report.Endpoint), refusal.Message, unlogged, refusal.Label);
                    }
                }

                // What the agent sent, cut: a refused field is never echoed whole.
                ack.Service = Refusal.Cut(report.Service);
                ack.Endpoint = Refusal.Cut(report.Endpoint);
                ack.Sequence = report.Sequence;
                ack.Accepted = refusal is null;
                ack.Error = refusal?.Message ?? "";
                await responseStream.WriteAsync(ack, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The agent went away or the controller is shutting down.
        }
        finally
        {
            foreach (var (reason, unlogged) in refusals.Unlogged())
            {
                LogRefusedUnlogged(unlogged, reason.Label(), context.Peer);
            }
        }

        LogStreamClosed(context.Peer);
    }

    /// <summary>Drops the sequences of endpoints the stream has not carried since <paramref name="before"/>, and their services.</summary>
    private static void Prune(Dictionary<(string Service, string Endpoint), (ulong Sequence, DateTimeOffset At)> lastSequence, HashSet<string> services, DateTimeOffset before)
    {
        foreach (var idle in lastSequence.Where(p => p.Value.At <= before).Select(p => p.Key).ToList())
        {
            lastSequence.Remove(idle);
        }

        services.IntersectWith(lastSequence.Keys.Select(k => k.Service));
    }

    /// <summary>The next report, false at the end of the stream; DEADLINE_EXCEEDED when none came whole within <paramref name="idle"/>.</summary>
    private static async Task<bool> NextAsync(
        IAsyncStreamReader<IncomingReport> requestStream, CancellationTokenSource silence, TimeSpan idle, CancellationToken reading)
    {
        silence.CancelAfter(idle);
        try
        {
            return await requestStream.MoveNext(reading).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException && silence.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded,
                $"no whole report for {idle} (Robinhood:Limits:ReportStreamIdleTimeout); reconnect"));
        }
        catch (IOException)
        {
            // The agent reset its stream or lost its connection: the stream is over, not an error with a stack trace.
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Report stream opened by {Peer}")]
    private partial void LogStreamOpened(string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Report stream closed by {Peer}")]
    private partial void LogStreamClosed(string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Report refused for {Service}/{Endpoint}: {Error} ({Unlogged} more {Reason} on this stream since its last line not logged)")]
    private partial void LogRefused(string service, string endpoint, string error, long unlogged, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Unlogged} more reports refused {Reason} on the stream of {Peer} not logged, to its end")]
    private partial void LogRefusedUnlogged(long unlogged, string reason, string peer);
}
