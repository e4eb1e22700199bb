using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;
using Robinhood.Controller.Membership;

namespace Robinhood.Controller.Leadership;

/// <summary>
/// Elects an owner for each shard on its own Lease, <c>&lt;LeaseName&gt;-&lt;shard&gt;</c>, with bounded greed:
/// every <c>RetryPeriod</c> a replica reads all shard Leases at once, renews the ones it holds, and takes a free or
/// expired one only while it holds fewer than its share (the shards over the replicas holding any, itself
/// counted). A replica below its fair share with no free shard asks the replica holding most for one by
/// setting <c>spec.preferredHolder</c> (the Lease's own field for "give this up to a better holder"); that
/// replica hands the Lease back when it holds at least two more than the asker. A shard nobody below its share
/// takes within a lease duration is taken by anyone, so no shard stays unowned because counts disagree.
/// Taking a shard is a <see cref="LeaderTakeover"/> (grace and restore rules); losing it releases it at once.
/// A Lease whose record has not changed for its duration, as this replica's clock measures from the read that
/// first showed the change, has expired; a replica writes the time of its write as the renew time, so a Lease is
/// never taken before its renew time plus its duration.
/// Each holder writes its gRPC address on its Leases, which is where reports for the shard are forwarded, and its
/// Http address with its identity beside it, which is where admin calls are forwarded: a replica of an earlier
/// version renewing a Lease keeps the annotations it does not know, so the Http address counts only while the
/// identity beside it holds the Lease.
/// </summary>
public sealed partial class ShardElection(
    IKubernetes client,
    IOptions<KubernetesOptions> kubernetes,
    IOptions<LeadershipOptions> options,
    LeaderTakeover takeover,
    Ownership ownership,
    Random random,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<ShardElection> logger) : BackgroundService
{
    /// <summary>The annotation a holder writes its gRPC address under.</summary>
    public const string AddressAnnotation = "robinhood/grpc-address";

    /// <summary>The annotation a holder writes its Http (admin API) address under.</summary>
    public const string HttpAddressAnnotation = "robinhood/http-address";

    /// <summary>The annotation naming the holder that wrote <see cref="HttpAddressAnnotation"/>.</summary>
    public const string HttpAddressHolderAnnotation = "robinhood/http-address-holder";

    private long _rounds;

    private readonly ShardLease[] _shards = [.. ownership.Map.All.Select(s => new ShardLease(s, options.Value.LeaseName + "-" + Ownership.Label(s)))];

    private string Identity => options.Value.Identity;

    /// <summary>Rounds completed since start; for tests and tools driving the election on a fake clock.</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    private string Namespace => kubernetes.Value.Namespace;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Stop owning as soon as shutdown begins, not after the server has drained its streams.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lifetime.ApplicationStopping);
        var o = options.Value;
        LogElecting(ownership.Map.Count, Namespace, o.LeaseName, Identity);
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                // The next round is due a jittered RetryPeriod after this one starts, however long this one takes.
                var next = Task.Delay(o.RetryPeriod * (0.8 + (0.4 * random.NextDouble())), time, stopping.Token);
                try
                {
                    using var deadline = new CancellationTokenSource(o.RenewDeadline, time);
                    using var round = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token, deadline.Token);
                    await RoundAsync(round.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException && !stopping.IsCancellationRequested)
                {
                    LogRoundFailed(e);
                }

                LoseUnrenewed();
                Interlocked.Increment(ref _rounds);
                await next.ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down.
        }

        await ReleaseAllAsync().ConfigureAwait(false);
    }

    /// <summary>One pass over every shard: observe, renew or hand back what this replica holds, take or ask for what it lacks.</summary>
    private async Task RoundAsync(CancellationToken cancellationToken)
    {
        // Every Lease read at once, so a round takes one API call's time, not one per shard, before the renewals:
        // on a loaded API server (or a replica short of CPU) N calls in a row ran past RenewDeadline and the round
        // lost every shard it held. Each is timed after its read: a change seen is never dated before it was written.
        await Task.WhenAll(_shards.Select(async shard =>
        {
            var lease = await ReadAsync(shard, cancellationToken).ConfigureAwait(false);
            shard.Observe(lease, time.GetUtcNow(), options.Value.LeaseDuration);
        })).ConfigureAwait(false);

        var duration = options.Value.LeaseDuration;
        var held = _shards.Where(s => s.Holder is not null).GroupBy(s => s.Holder!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        // Replicas holding shards, this one, and any asking for one (it holds none yet, but it is there).
        var askers = _shards.Where(s => s.Holder is not null).Select(s => s.Lease!.Spec.PreferredHolder).OfType<string>().Where(a => a.Length > 0);
        var replicas = held.Keys.Append(Identity).Concat(askers).Distinct(StringComparer.Ordinal).Count();
        var share = (ownership.Map.Count + replicas - 1) / replicas;
        var mine = held.GetValueOrDefault(Identity);
        var handedBack = new HashSet<int>();
        // Renewals and hand-backs are written at once, then the takes: one call's time each, whatever the shard count.
        var writes = new List<Task>();

        foreach (var shard in _shards)
        {
            // The last holder stays the best guess of where to forward until another replica takes the Lease.
            ownership.SeeOwner(shard.Index, Owner(shard.Lease));
            if (shard.Holder != Identity)
            {
                if (shard.RenewedAt is not null)
                {
                    Stop(shard, shard.Holder is null ? "its Lease expired" : $"its Lease is held by {shard.Holder}");
                }

                continue;
            }

            if (shard.Taking is { IsCompleted: true } && !ownership.Owned.ContainsKey(shard.Index))
            {
                // Fenced by Redis (a newer epoch writes its services): let another replica take it.
                writes.Add(HandBackAsync(shard, "Redis fenced this replica's writes", cancellationToken));
                handedBack.Add(shard.Index);
                mine--;
                continue;
            }

            if (shard.Lease!.Spec.PreferredHolder is { Length: > 0 } asker && asker != Identity)
            {
                if (mine > held.GetValueOrDefault(asker) + 1)
                {
                    writes.Add(HandBackAsync(shard, $"handed to {asker}, which holds fewer shards", cancellationToken));
                    handedBack.Add(shard.Index);
                    mine--;
                    continue;
                }

                shard.Lease.Spec.PreferredHolder = null;
            }

            writes.Add(RenewAsync(shard, cancellationToken));
        }

        await Task.WhenAll(writes).ConfigureAwait(false);
        var taking = new List<Task<bool>>();
        foreach (var shard in _shards.Where(s => s.Holder is null && !handedBack.Contains(s.Index)))
        {
            if (mine + taking.Count < share || time.GetUtcNow() - shard.FreeSince > duration)
            {
                taking.Add(AcquireAsync(shard, cancellationToken));
            }
        }

        mine += (await Task.WhenAll(taking).ConfigureAwait(false)).Count(taken => taken);

        await AskAsync(held, mine, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Below the fair share with every shard held: ask the replica holding most for one (one request at a time).</summary>
    private async Task AskAsync(Dictionary<string, int> held, int mine, CancellationToken cancellationToken)
    {
        // The fullest other replica; none (the default, a null key) when this one holds every shard.
        var richest = held.Where(p => p.Key != Identity).OrderByDescending(p => p.Value).FirstOrDefault();
        if (_shards.Any(s => s.Holder is null || s.Lease?.Spec.PreferredHolder == Identity) || richest.Key is null || richest.Value <= mine + 1)
        {
            return;
        }

        var shard = _shards.First(s => s.Holder == richest.Key);
        shard.Lease!.Spec.PreferredHolder = Identity;
        if (await TryWriteAsync(shard, cancellationToken).ConfigureAwait(false))
        {
            LogAsked(shard.Index, richest.Key, richest.Value, mine);
        }
    }

    private async Task RenewAsync(ShardLease shard, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        shard.Lease!.Spec.RenewTime = now.UtcDateTime;
        Advertise(shard.Lease);
        if (await TryWriteAsync(shard, cancellationToken).ConfigureAwait(false))
        {
            shard.RenewedAt = now;
            shard.Taking ??= TakeAsync(shard);
        }
    }

    private async Task<bool> AcquireAsync(ShardLease shard, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        var lease = shard.Lease ?? new V1Lease
        {
            ApiVersion = "coordination.k8s.io/v1",
            Kind = "Lease",
            Metadata = new V1ObjectMeta { Name = shard.Name, NamespaceProperty = Namespace },
            Spec = new V1LeaseSpec { LeaseTransitions = 0 },
        };
        Advertise(lease);
        var spec = lease.Spec ??= new V1LeaseSpec();
        if (shard.Lease is not null)
        {
            spec.LeaseTransitions = (spec.LeaseTransitions ?? 0) + 1;
        }

        spec.HolderIdentity = Identity;
        spec.LeaseDurationSeconds = (int)o.LeaseDuration.TotalSeconds;
        spec.AcquireTime = now.UtcDateTime;
        spec.RenewTime = now.UtcDateTime;
        spec.PreferredHolder = null;
        shard.Lease = lease;
        if (!await TryWriteAsync(shard, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        shard.RenewedAt = now;
        LogAcquired(shard.Index, shard.Name);
        shard.Taking = TakeAsync(shard);
        return true;
    }

    /// <summary>Writes where this replica is reached on a Lease it holds or takes.</summary>
    private void Advertise(V1Lease lease)
    {
        var annotations = lease.Metadata.Annotations ??= new Dictionary<string, string>();
        annotations[AddressAnnotation] = ownership.AdvertisedAddress;
        annotations[HttpAddressAnnotation] = ownership.AdvertisedHttpAddress;
        annotations[HttpAddressHolderAnnotation] = Identity;
    }

    /// <summary>The owner a Lease names: its holder's addresses, the Http one only if that holder wrote it; null with no holder.</summary>
    internal static ShardOwner? Owner(V1Lease? lease)
    {
        if (lease?.Spec?.HolderIdentity is not { Length: > 0 } holder || lease.Metadata.Annotations is not { } annotations
            || !annotations.TryGetValue(AddressAnnotation, out var grpc))
        {
            return null;
        }

        // Only an absolute http(s) URL is an address to forward admin calls to; anything else in the annotation is none.
        var http = annotations.TryGetValue(HttpAddressHolderAnnotation, out var writer) && writer == holder
            && annotations.TryGetValue(HttpAddressAnnotation, out var address)
            && Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? address : null;
        return new ShardOwner(grpc, http);
    }

    /// <summary>Restores the shard and owns it, retrying while the Lease is held; released at once when it is lost.</summary>
    private async Task TakeAsync(ShardLease shard)
    {
        var holding = new CancellationTokenSource();
        shard.Holding = holding;
        try
        {
            await takeover.TakeOverAsync([shard.Index], holding.Token, () => !holding.IsCancellationRequested).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (holding.IsCancellationRequested)
        {
            // The Lease was lost or handed back while restoring.
        }
    }

    /// <summary>Stops owning the shard and frees its Lease for another replica (its holder set empty).</summary>
    private async Task HandBackAsync(ShardLease shard, string why, CancellationToken cancellationToken)
    {
        Stop(shard, why);
        shard.Lease!.Spec.HolderIdentity = "";
        shard.Lease.Spec.PreferredHolder = null;
        await TryWriteAsync(shard, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A shard whose Lease this replica could not renew within <c>RenewDeadline</c> is no longer owned.</summary>
    private void LoseUnrenewed()
    {
        var now = time.GetUtcNow();
        foreach (var shard in _shards.Where(s => s.RenewedAt is { } at && now - at > options.Value.RenewDeadline))
        {
            Stop(shard, $"its Lease was not renewed within {options.Value.RenewDeadline}");
        }
    }

    private void Stop(ShardLease shard, string why)
    {
        shard.RenewedAt = null;
        shard.Holding?.Cancel();
        shard.Holding?.Dispose();
        shard.Holding = null;
        shard.Taking = null;
        ownership.Release(shard.Index, why);
    }

    private async Task ReleaseAllAsync()
    {
        using var timeout = new CancellationTokenSource(options.Value.RenewDeadline);
        foreach (var shard in _shards.Where(s => s.RenewedAt is not null))
        {
            try
            {
                await HandBackAsync(shard, "shutting down", timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogRoundFailed(e);
            }
        }
    }

    private async Task<V1Lease?> ReadAsync(ShardLease shard, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoordinationV1.ReadNamespacedLeaseAsync(shard.Name, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Creates or replaces the shard's Lease as held in memory; false when another replica wrote it first (409).</summary>
    private async Task<bool> TryWriteAsync(ShardLease shard, CancellationToken cancellationToken)
    {
        var lease = shard.Lease!;
        try
        {
            var written = lease.Metadata.ResourceVersion is null
                ? await client.CoordinationV1.CreateNamespacedLeaseAsync(lease, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false)
                : await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, shard.Name, Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            shard.Observe(written, time.GetUtcNow(), options.Value.LeaseDuration);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Electing owners of {Shards} shards on the Leases {Namespace}/{Lease}-<shard> as {Identity}")]
    private partial void LogElecting(int shards, string @namespace, string lease, string identity);

    [LoggerMessage(Level = LogLevel.Information, Message = "Took the Lease of shard {Shard} ({Lease})")]
    private partial void LogAcquired(int shard, string lease);

    [LoggerMessage(Level = LogLevel.Information, Message = "Asked for shard {Shard} from {Holder}, which holds {Theirs} shards to our {Ours}")]
    private partial void LogAsked(int shard, string holder, int theirs, int ours);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard election round failed; retrying")]
    private partial void LogRoundFailed(Exception exception);

    /// <summary>One shard's Lease as this replica last saw it, and its own part in it.</summary>
    private sealed class ShardLease(int index, string name)
    {
        public int Index { get; } = index;

        public string Name { get; } = name;

        public V1Lease? Lease { get; set; }

        /// <summary>When the Lease's record last changed, by this replica's clock.</summary>
        public DateTimeOffset ObservedAt { get; private set; }

        /// <summary>When this replica first saw the shard free (no holder, or expired).</summary>
        public DateTimeOffset FreeSince { get; private set; } = DateTimeOffset.MaxValue;

        /// <summary>When this replica last wrote the Lease as its holder; null while it does not hold it.</summary>
        public DateTimeOffset? RenewedAt { get; set; }

        public Task? Taking { get; set; }

        public CancellationTokenSource? Holding { get; set; }

        /// <summary>The holder while the Lease is held and not expired; null when the shard is free.</summary>
        public string? Holder { get; private set; }

        /// <summary>Takes the Lease as read or written at <paramref name="now"/> and judges whether it has expired.</summary>
        public void Observe(V1Lease? lease, DateTimeOffset now, TimeSpan duration)
        {
            if (lease?.Metadata.ResourceVersion != Lease?.Metadata.ResourceVersion || lease is null != Lease is null || ObservedAt == default)
            {
                ObservedAt = now;
            }

            Lease = lease;
            var lasts = lease?.Spec?.LeaseDurationSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : duration;
            Holder = lease?.Spec?.HolderIdentity is { Length: > 0 } holder && now - ObservedAt <= lasts ? holder : null;
            FreeSince = Holder is not null ? DateTimeOffset.MaxValue : FreeSince == DateTimeOffset.MaxValue ? now : FreeSince;
        }
    }
}
