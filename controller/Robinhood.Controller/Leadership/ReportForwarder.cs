using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Robinhood.Controller.Auth;
using Robinhood.V1;

namespace Robinhood.Controller.Leadership;

/// <summary>
/// A follower's one Report stream to the leader, shared by every agent stream it serves (O(replicas)
/// connections to the leader, not O(agents)). Each forwarded report gets a sequence of this stream,
/// so agents' own sequences (checked here) never collide on it; the leader's ack answers the agent.
/// </summary>
public sealed partial class ReportForwarder(LeaderRole role, IOptions<AuthOptions> auth, ILogger<ReportForwarder> logger) : IAsyncDisposable
{
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(5);
    private const string ServiceAccountToken = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Link? _link;
    private ulong _sequence;

    /// <summary>Forwards a validated report (endpoint in canonical form); returns null when the leader accepted it, else why not.</summary>
    public async Task<Refusal?> ForwardAsync(LoadReport report, CancellationToken cancellationToken)
    {
        if (role.LeaderAddress is not { } address || address == role.AdvertisedAddress)
        {
            ControllerMetrics.Forwarded.WithLabels("no_leader").Inc();
            return Refusal.Of(RefusalReason.Unavailable, "service", "has no leader known to take this report yet (retry)");
        }

        Task<ReportAck> ack;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_link is not { Broken: false } link || link.Address != address)
            {
                if (_link is { } old)
                {
                    await old.DisposeAsync().ConfigureAwait(false);
                }

                link = _link = Link.Open(address, Token());
                LogLinked(address);
            }

            var forwarded = report.Clone();
            forwarded.Sequence = ++_sequence;
            ack = link.Expect(forwarded.Sequence);
            await link.Call.RequestStream.WriteAsync(forwarded, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or IOException or InvalidOperationException)
        {
            _link?.Break();
            ControllerMetrics.Forwarded.WithLabels("failed").Inc();
            return Refusal.Of(RefusalReason.Unavailable, "service", $"could not be forwarded to the leader (retry): {e.Message}");
        }
        finally
        {
            _gate.Release();
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
            return Refusal.Of(RefusalReason.Unavailable, "service", "was forwarded but the leader did not answer in time (retry)");
        }
    }

    private string? Token()
    {
        var file = auth.Value.ForwardTokenFile ?? (File.Exists(ServiceAccountToken) ? ServiceAccountToken : null);
        return file is null ? null : File.ReadAllText(file).Trim();
    }

    public async ValueTask DisposeAsync()
    {
        if (_link is { } link)
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Forwarding reports to the leader at {Address}")]
    private partial void LogLinked(string address);

    /// <summary>One open stream to one leader and the acks it still owes.</summary>
    private sealed class Link : IAsyncDisposable
    {
        private readonly GrpcChannel _channel;
        private readonly ConcurrentDictionary<ulong, TaskCompletionSource<ReportAck>> _pending = new();
        private readonly CancellationTokenSource _closing = new();
        private volatile bool _broken;

        private Link(string address, string? token)
        {
            Address = address;
            _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
            {
                MaxSendMessageSize = MessageLimits.MaxRequestBytes,
                MaxReceiveMessageSize = MessageLimits.MaxRequestBytes,
            });
            var headers = token is null ? null : new Metadata { { "authorization", "Bearer " + token } };
            Call = new LoadReporter.LoadReporterClient(_channel).Report(headers, cancellationToken: _closing.Token);
            _ = ReadAcksAsync();
        }

        public string Address { get; }

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
                    pending.TrySetException(new IOException("the stream to the leader closed"));
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
                // The leader went away; the next report opens a new stream.
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
