using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Control;
using Robinhood.Controller.Publish;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Publish;

public class PublishedSnapshotTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 14, 0, 0, 123, TimeSpan.Zero);

    [Fact]
    public void Encode_VariedWeights_SameBytesAsTheGeneratedMessage()
    {
        var random = new Random(1913);
        double[] utilizations = [0, -0.0, 0.5, 1.75, -0.25, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e-300];
        var phases = System.Enum.GetValues<EndpointPhase>();
        for (var run = 0; run < 200; run++)
        {
            var endpoints = Enumerable.Range(0, random.Next(0, 40))
                .Select(i => new WeightedEndpoint(
                    $"10.{run % 256}.{i / 256}.{i % 256}:{random.Next(1, 65536)}",
                    random.Next(3) == 0 ? "" : $"zone-{random.Next(5)}",
                    random.Next(4) == 0 ? 0u : (uint)random.Next(1, int.MaxValue),
                    phases[random.Next(phases.Length)],
                    utilizations[random.Next(utilizations.Length)]))
                .OrderBy(e => e.Endpoint, StringComparer.Ordinal)
                .ToArray();
            var weights = new ServiceWeights($"service-{run}", endpoints, Frozen: false);
            ulong[] versions = [0, 1, 1_764_597_600_123, ulong.MaxValue];
            var version = versions[run % versions.Length];
            var at = At.AddTicks(random.NextInt64(-TimeSpan.TicksPerDay * 20_000, TimeSpan.TicksPerDay * 20_000));

            var encoded = PublishedSnapshot.Encode(weights, version, at);

            var expected = Message(weights, version, at);
            Assert.Equal(expected.ToByteArray(), encoded.Bytes);
            // Parsed back, as a message set to -0.0 reads as 0 (a default the wire leaves out).
            Assert.Equal(WeightSnapshot.Parser.ParseFrom(expected.ToByteArray()), encoded.Message);
            Assert.Equal((weights.Service, version, at), (encoded.Service, encoded.Version, encoded.ComputedAt));
        }
    }

    [Fact]
    public void Encode_HundredEndpoints_AllocatesTheBytesAndLittleMore()
    {
        var endpoints = Enumerable.Range(0, 100)
            .Select(i => new WeightedEndpoint($"10.0.{i / 10}.{i % 10}:8080", "zone-a", (uint)(900 + i), EndpointPhase.Active, 0.5 + (i / 1000.0)))
            .OrderBy(e => e.Endpoint, StringComparer.Ordinal)
            .ToArray();
        var weights = new ServiceWeights("checkout", endpoints, Frozen: false);
        PublishedSnapshot.Encode(weights, 1, At);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var encoded = PublishedSnapshot.Encode(weights, 2, At);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // A message with an object per endpoint is over 6 KB; the bytes are ~4 KB, plus the snapshot, its
        // timestamp and the output stream.
        Assert.True(allocated < encoded.Bytes.Length + 600, $"encoding 100 endpoints ({encoded.Bytes.Length} bytes) allocated {allocated} bytes");
    }

    [Fact]
    public void Encode_SpareOfTheExactSize_WrittenIntoItAndOfAnotherSizeLeftAlone()
    {
        var weights = HundredEndpoints(900);
        var expected = PublishedSnapshot.Encode(weights, 2, At).Bytes;
        var spare = Enumerable.Repeat((byte)0xFF, expected.Length).ToArray();
        var shorter = Enumerable.Repeat((byte)0xFF, expected.Length - 1).ToArray();

        var into = PublishedSnapshot.Encode(weights, 2, At, spare);
        var beside = PublishedSnapshot.Encode(weights, 2, At, shorter);

        Assert.Same(spare, into.Bytes);
        Assert.Equal(expected, into.Bytes);
        Assert.NotSame(shorter, beside.Bytes);
        Assert.Equal(expected, beside.Bytes);
        Assert.All(shorter, b => Assert.Equal(0xFF, b));
    }

    [Fact]
    public void Next_AfterPrepareNext_WritesIntoTheArrayMadeReadyAndNeverIntoOneHandedOut()
    {
        var cache = new SnapshotCache();
        var time = new FakeTimeProvider(At);
        var publisher = new SnapshotPublisher(cache, time);
        var first = publisher.Next(HundredEndpoints(900))!;
        cache.Set([first]);
        var firstBytes = first.Bytes.ToArray();

        // Between ticks: an array of the last snapshot's size, so the next snapshot allocates only its small objects
        // (344 bytes: the snapshot, its timestamp, the output stream, the kept weights; its bytes alone are ~3.9 KB).
        publisher.PrepareNext();
        time.Advance(TimeSpan.FromSeconds(1));
        var moved = HundredEndpoints(901);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var second = publisher.Next(moved)!;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        cache.Set([second]);
        var secondBytes = second.Bytes.ToArray();

        // No PrepareNext before the third: it gets an array of its own, and the arrays handed out are left as they were.
        time.Advance(TimeSpan.FromSeconds(1));
        var third = publisher.Next(HundredEndpoints(902))!;

        // A spare the next snapshot does not fit (a weight of one byte instead of two) stays for a later one of its size.
        cache.Set([third]);
        publisher.PrepareNext();
        time.Advance(TimeSpan.FromSeconds(1));
        var light = HundredEndpoints(903);
        var shorter = publisher.Next(light with { Endpoints = [light.Endpoints[0] with { Weight = 50 }, .. light.Endpoints.Skip(1)] })!;
        cache.Set([shorter]);
        time.Advance(TimeSpan.FromSeconds(1));
        var back = HundredEndpoints(904);
        var beforeBack = GC.GetAllocatedBytesForCurrentThread();
        var shrunk = publisher.Next(back)!;
        var allocatedBack = GC.GetAllocatedBytesForCurrentThread() - beforeBack;

        Assert.True(allocated < 600, $"a snapshot of {second.Bytes.Length} bytes allocated {allocated} bytes with its array made ready");
        Assert.True(allocatedBack < 600, $"a snapshot of {shrunk.Bytes.Length} bytes allocated {allocatedBack} bytes with the spare kept for it");
        Assert.Equal(third.Bytes.Length, shrunk.Bytes.Length);
        Assert.Equal(third.Bytes.Length - 1, shorter.Bytes.Length);
        Assert.Equal(firstBytes.Length, second.Bytes.Length);
        Assert.NotSame(second.Bytes, third.Bytes);
        Assert.NotSame(first.Bytes, second.Bytes);
        Assert.Equal(firstBytes, first.Bytes);
        Assert.Equal(secondBytes, second.Bytes);
        Assert.Equal(901u, second.Message.Endpoints[0].Weight);
        Assert.Equal(902u, third.Message.Endpoints[0].Weight);
    }

    [Fact]
    public void Parse_StoredBytes_KeepsThemAndTheFieldsTheCacheOrdersBy()
    {
        var message = new WeightSnapshot { Service = "checkout", Version = 42, ComputedAt = Timestamp.FromDateTimeOffset(At) };
        message.Endpoints.Add(new EndpointWeight { Endpoint = "10.0.0.1:80", Weight = 1000, State = EndpointState.Active });
        var bytes = message.ToByteArray();

        var parsed = PublishedSnapshot.Parse(bytes);

        Assert.Same(bytes, parsed.Bytes);
        Assert.Equal(("checkout", 42ul, (DateTimeOffset?)At), (parsed.Service, parsed.Version, parsed.ComputedAt));
        Assert.Equal(message, parsed.Message);
    }

    [Fact]
    public void Next_CacheHoldsASnapshotMadeElsewhere_ComparedWithItsEndpoints()
    {
        var cache = new SnapshotCache();
        var publisher = new SnapshotPublisher(cache, new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_000)));
        var weights = new ServiceWeights("a", [new WeightedEndpoint("10.0.0.1:80", "z1", 1000, EndpointPhase.Active, 0.5)], Frozen: false);
        cache.Set([PublishedSnapshot.Of(Message(weights, 7_000, At))]);

        Assert.Null(publisher.Next(weights with { Endpoints = [weights.Endpoints[0] with { Utilization = 0.7 }] }));
        var moved = publisher.Next(weights with { Endpoints = [weights.Endpoints[0] with { Weight = 1100 }] });

        Assert.Equal(7_001ul, moved?.Version);
        Assert.Equal(1100u, Assert.Single(moved!.Message.Endpoints).Weight);
    }

    private static ServiceWeights HundredEndpoints(uint firstWeight) => new(
        "checkout",
        [.. Enumerable.Range(0, 100)
            .Select(i => new WeightedEndpoint($"10.0.{i / 10}.{i % 10}:8080", "zone-a", (uint)(firstWeight + i), EndpointPhase.Active, 0.5 + (i / 1000.0)))
            .OrderBy(e => e.Endpoint, StringComparer.Ordinal)],
        Frozen: false);

    /// <summary>The snapshot as the publisher made it before it encoded straight to bytes: a message object per endpoint.</summary>
    private static WeightSnapshot Message(ServiceWeights weights, ulong version, DateTimeOffset at)
    {
        var message = new WeightSnapshot { Service = weights.Service, Version = version, ComputedAt = Timestamp.FromDateTimeOffset(at) };
        foreach (var e in weights.Endpoints)
        {
            message.Endpoints.Add(new EndpointWeight
            {
                Endpoint = e.Endpoint,
                Weight = e.Weight,
                Zone = e.Zone,
                State = SnapshotPublisher.ToState(e.Phase),
                Utilization = double.IsFinite(e.Utilization) ? e.Utilization : 0,
            });
        }

        return message;
    }
}
