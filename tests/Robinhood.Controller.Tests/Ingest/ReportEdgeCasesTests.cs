using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Controller.Tests.Hosting;
using Robinhood.V1;

namespace Robinhood.Controller.Tests.Ingest;

/// <summary>What a careless or hostile agent sends, over real Kestrel: bytes that are not UTF-8, huge fields, other spellings.</summary>
public sealed class ReportEdgeCasesTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private static readonly byte[] NotUtf8 = [0x77, 0xC3, 0x28, 0xFF, 0x65];

    [Theory]
    [InlineData(LoadReport.ServiceFieldNumber, "service")]
    [InlineData(LoadReport.EndpointFieldNumber, "endpoint")]
    [InlineData(LoadReport.ZoneFieldNumber, "zone")]
    public async Task Report_FieldNotUtf8_RefusedNamingTheFieldAndStreamKept(int field, string name)
    {
        await using var controller = await RunningController.StartAsync(new FakeTimeProvider());
        using var stream = new RawReportStream(controller);

        var fields = new Dictionary<int, byte[]>
        {
            [LoadReport.ServiceFieldNumber] = "svc"u8.ToArray(),
            [LoadReport.EndpointFieldNumber] = "10.0.0.1:80"u8.ToArray(),
            [LoadReport.ZoneFieldNumber] = "z"u8.ToArray(),
        };
        fields[field] = NotUtf8;
        var refused = await stream.SendAsync(Encode(fields, sequence: 7));

        Assert.False(refused.Accepted);
        Assert.Equal(7ul, refused.Sequence);
        Assert.Equal($"{name} must be valid UTF-8", refused.Error);

        var ok = await stream.SendAsync(new LoadReport { Service = "svc", Endpoint = "10.0.0.1:80", Sequence = 8 }.ToByteArray());
        Assert.True(ok.Accepted, ok.Error);
    }

    [Fact]
    public async Task Report_RefusedOneMegabyteField_AckUnder4KBAndNoEcho()
    {
        await using var controller = await RunningController.StartAsync(new FakeTimeProvider());
        using var stream = new RawReportStream(controller);
        var huge = new string('x', 1 << 20);

        foreach (var report in new[]
        {
            new LoadReport { Service = huge, Endpoint = "10.0.0.1:80", Sequence = 1 },
            new LoadReport { Service = "svc", Endpoint = huge + ":80", Sequence = 2 },
            new LoadReport { Service = "svc", Endpoint = "10.0.0.1:80", Zone = huge, Sequence = 3 },
        })
        {
            var ack = await stream.SendAsync(report.ToByteArray());
            Assert.False(ack.Accepted);
            Assert.True(ack.CalculateSize() < 4096, $"ack of {ack.CalculateSize()} bytes");
            Assert.True(ack.Service.Length <= Refusal.MaxLength && ack.Endpoint.Length <= Refusal.MaxLength && ack.Error.Length <= Refusal.MaxLength);
        }
    }

    [Theory]
    [InlineData("127.0.0.1:80", "127.0.0.1:0080", "127.0.0.1:80")]
    [InlineData("[::1]:80", "[0:0:0:0:0:0:0:1]:80", "[::1]:80")]
    [InlineData("Web-1.Local:80", "web-1.local:80", "web-1.local:80")]
    public async Task Report_OneEndpointInTwoSpellings_IsOneEndpoint(string first, string second, string canonical)
    {
        var time = new FakeTimeProvider();
        await using var controller = await RunningController.StartAsync(time, $"--Robinhood:Control:Interval={Interval}");
        using var stream = new RawReportStream(controller);

        Assert.True((await stream.SendAsync(Report(first, 1))).Accepted);
        // The same endpoint on the same stream: its sequence must rise whatever the spelling.
        var replay = await stream.SendAsync(Report(second, 1));
        Assert.False(replay.Accepted);
        Assert.StartsWith("sequence ", replay.Error, StringComparison.Ordinal);
        Assert.True((await stream.SendAsync(Report(second, 2))).Accepted);

        await controller.TickAsync(time, Interval);
        var snapshot = controller.Snapshots.Get("svc");
        Assert.Equal(canonical, Assert.Single(snapshot.Endpoints).Endpoint);
    }

    [Theory]
    [InlineData("999.999.999.999:80")]
    [InlineData("a#b:80")]
    public async Task Report_HostNotAnAddressNorAName_Refused(string endpoint)
    {
        await using var controller = await RunningController.StartAsync(new FakeTimeProvider());
        using var stream = new RawReportStream(controller);
        var ack = await stream.SendAsync(Report(endpoint, 1));
        Assert.False(ack.Accepted);
        Assert.StartsWith("endpoint host ", ack.Error, StringComparison.Ordinal);
    }

    private static byte[] Report(string endpoint, ulong sequence) =>
        new LoadReport { Service = "svc", Endpoint = endpoint, CpuUtilization = 0.3, Sequence = sequence }.ToByteArray();

    /// <summary>A report with string fields as raw bytes, as a client that does not check UTF-8 would send it.</summary>
    private static byte[] Encode(Dictionary<int, byte[]> strings, ulong sequence)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        foreach (var (field, bytes) in strings)
        {
            output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(bytes));
        }

        output.WriteTag(LoadReport.SequenceFieldNumber, WireFormat.WireType.Varint);
        output.WriteUInt64(sequence);
        output.Flush();
        return buffer.ToArray();
    }
}

/// <summary>A Report stream that sends raw bytes (any payload a client could put on the wire) and reads each ack under a deadline.</summary>
public sealed class RawReportStream : IDisposable
{
    private static readonly Method<byte[], ReportAck> Method = new(
        MethodType.DuplexStreaming,
        LoadReporter.Descriptor.FullName,
        "Report",
        Marshallers.Create(static (byte[] b) => b, static b => b),
        Marshallers.Create(static (ReportAck a) => a.ToByteArray(), static b => ReportAck.Parser.ParseFrom(b)));

    private readonly AsyncDuplexStreamingCall<byte[], ReportAck> _call;

    public RawReportStream(RunningController controller, Metadata? headers = null)
    {
        ArgumentNullException.ThrowIfNull(controller);
        _call = controller.Channel.CreateCallInvoker().AsyncDuplexStreamingCall(
            Method, null, new CallOptions(headers, DateTime.UtcNow.AddMinutes(1)));
    }

    public async Task<ReportAck> SendAsync(byte[] report)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _call.RequestStream.WriteAsync(report, timeout.Token);
        Assert.True(await _call.ResponseStream.MoveNext(timeout.Token), "the stream closed instead of acking");
        return _call.ResponseStream.Current;
    }

    public void Dispose() => _call.Dispose();
}
