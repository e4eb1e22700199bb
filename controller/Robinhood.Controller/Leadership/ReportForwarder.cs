using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Robinhood.Controller.Auth;
using Robinhood.V1;

namespace Robinhood.Controller.Leadership;

/// <summary>
/// One Report stream to each peer replica, shared by every agent stream this replica serves (O(replicas)
/// connections between replicas, not O(agents)): a report for a service another replica controls goes to the
/// owner of its shard. Each forwarded report gets a sequence of its stream, so agents' own sequences (checked
/// here) never collide on it; the owner's ack answers the agent.
/// </summary>
public sealed partial class ReportForwarder(Ownership ownership, IOptions<AuthOptions> auth, ILogger<ReportForwarder> logger) : IAsyncDisposable
{
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(5);
    private const string ServiceAccountToken = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    private readonly ConcurrentDictionary<string, Peer> _peers = new(StringComparer.Ordinal);

    /// <summary>Forwards a validated report (endpoint in canonical form); returns null when the owner accepted it, else why not.</summary>
    public async Task<Refusal?> ForwardAsync(LoadReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (ownership.OwnerAddress(ownership.Map.Of(report.Service)) is not { } address || address == ownership.AdvertisedAddress)
        {
            ControllerMetrics.Forwarded.WithLabels("no_leader").Inc();
            return Refusal.Of(RefusalReason.Unavailable, "service", "has no owner known to take this report yet (retry)");
        }

        var peer = _peers.GetOrAdd(address, _ => new Peer());
        Task<ReportAck> ack;
        await peer.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (peer.Link is not { Broken: false } link)
            {
                if (peer.Link is { } old)
                {
                    await old.DisposeAsync().ConfigureAwait(false);
                }

                link = peer.Link = Link.Open(address, Token());
                LogLinked(address);
            }

            var forwarded = report.Clone();
            forwarded.Sequence = ++peer.Sequence;
            ack = link.Expect(forwarded.Sequence);
            await link.Call.RequestStream.WriteAsync(forwarded, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or IOException or InvalidOperationException)
        {
            peer.Link?.Break();
            ControllerMetrics.Forwarded.WithLabels("failed").Inc();
            return Refusal.Of(RefusalReason.Unavailable, "service", $"could not be forwarded to its owner (retry): {e.Message}");
        }
        finally
        {
            peer.Gate.Release();
        }

        try
        {
            var answer = await ack.WaitAsync(AckTimeout, cancellationToken).ConfigureAwait(false);
            ControllerMetrics.Forwarded.WithLabels(answer.Accepted ? "accepted" : "refused").Inc();
            return answer.Accepted ? null : Refusal.Relayed(RefusalReason.Leader, answer.Error);
        }
        catch (Exception e) when (e is TimeoutException or RpcException or IOException)
        {
            ControllerMetrics.Forwarded.WithLabels("failed").Inc();
            return Refusal.Of(RefusalReason.Unavailable, "service", "was forwarded but its owner did not answer in time (retry)");
        }
    }

    private string? Token()
    {
        var file = auth.Value.ForwardTokenFile ?? (File.Exists(ServiceAccountToken) ? ServiceAccountToken : null);
        return file is null ? null : File.ReadAllText(file).Trim();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var peer in _peers.Values)
        {
            if (peer.Link is { } link)
            {
                await link.DisposeAsync().ConfigureAwait(false);
            }

            peer.Gate.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Forwarding reports to the replica at {Address}")]
    private partial void LogLinked(string address);

    /// <summary>One peer replica: its stream (reopened when broken), the stream's sequence, and the gate writes take turns at.</summary>
    private sealed class Peer
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public Link? Link { get; set; }

        public ulong Sequence { get; set; }
    }

    /// <summary>One open stream to one peer and the acks it still owes.</summary>
    private sealed class Link : IAsyncDisposable
    {
        private readonly GrpcChannel _channel;
        private readonly ConcurrentDictionary<ulong, TaskCompletionSource<ReportAck>> _pending = new();
        private readonly CancellationTokenSource _closing = new();
        private volatile bool _broken;

        private Link(string address, string? token)
        {
            _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
            {
                MaxSendMessageSize = MessageLimits.MaxRequestBytes,
                MaxReceiveMessageSize = MessageLimits.MaxRequestBytes,
            });
            var headers = token is null ? null : new Metadata { { "authorization", "Bearer " + token } };
            Call = new LoadReporter.LoadReporterClient(_channel).Report(headers, cancellationToken: _closing.Token);
            _ = ReadAcksAsync();
        }

        public AsyncDuplexStreamingCall<LoadReport, ReportAck> Call { get; }

        public bool Broken => _broken;

        public static Link Open(string address, string? token) => new(address, token);

        public Task<ReportAck> Expect(ulong sequence)
        {
            var pending = new TaskCompletionSource<ReportAck>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[sequence] = pending;
            return pending.Task;
        }

        public void Break()
        {
            _broken = true;
            foreach (var sequence in _pending.Keys)
            {
                if (_pending.TryRemove(sequence, out var pending))
                {
                    pending.TrySetException(new IOException("the stream to the peer closed"));
                }
            }
        }

        private async Task ReadAcksAsync()
        {
            try
            {
                await foreach (var ack in Call.ResponseStream.ReadAllAsync(_closing.Token).ConfigureAwait(false))
                {
                    if (_pending.TryRemove(ack.Sequence, out var pending))
                    {
                        pending.TrySetResult(ack);
                    }
                }
            }
            catch (Exception e) when (e is RpcException or IOException or OperationCanceledException)
            {
                // The peer went away; the next report opens a new stream.
            }

            Break();
        }

        public async ValueTask DisposeAsync()
        {
            Break();
            await _closing.CancelAsync().ConfigureAwait(false);
            Call.Dispose();
            _channel.Dispose();
            _closing.Dispose();
        }
    }
}
