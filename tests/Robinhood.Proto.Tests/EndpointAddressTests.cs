using Robinhood.V1;

namespace Robinhood.Proto.Tests;

public sealed class EndpointAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:80", "127.0.0.1:80")]
    [InlineData("127.0.0.1:0080", "127.0.0.1:80")]
    [InlineData("[::1]:80", "[::1]:80")]
    [InlineData("[0:0:0:0:0:0:0:1]:80", "[::1]:80")]
    [InlineData("[2001:DB8:0:0::1]:443", "[2001:db8::1]:443")]
    [InlineData("Pod-1.Web.Default.SVC:8080", "pod-1.web.default.svc:8080")]
    [InlineData("localhost:65535", "localhost:65535")]
    [InlineData("web_1:1", "web_1:1")]
    public void TryParse_AnySpelling_GivesTheOneCanonicalForm(string text, string canonical)
    {
        Assert.True(EndpointAddress.TryParse(text, out var address, out var refusal), refusal?.Message);
        Assert.Equal(canonical, address.Value);
        Assert.Equal(address, EndpointAddress.Parse(canonical));
    }

    [Theory]
    [InlineData("", RefusalReason.Empty)]
    [InlineData("10.0.0.1", RefusalReason.Malformed)]
    [InlineData(":80", RefusalReason.Malformed)]
    [InlineData("::1:80", RefusalReason.Malformed)]
    [InlineData("10.0.0.1:", RefusalReason.Port)]
    [InlineData("10.0.0.1:0", RefusalReason.Port)]
    [InlineData("10.0.0.1:000", RefusalReason.Port)]
    [InlineData("10.0.0.1:65536", RefusalReason.Port)]
    [InlineData("10.0.0.1:+80", RefusalReason.Port)]
    [InlineData("10.0.0.1:٨٠", RefusalReason.Port)]
    [InlineData("999.999.999.999:80", RefusalReason.Host)]
    [InlineData("1.2.3:80", RefusalReason.Host)]
    [InlineData("010.0.0.1:80", RefusalReason.Host)]
    [InlineData("0x7f.0.0.1:80", RefusalReason.Host)]
    [InlineData("a#b:80", RefusalReason.Host)]
    [InlineData("a b:80", RefusalReason.Host)]
    [InlineData("a..b:80", RefusalReason.Host)]
    [InlineData("-a:80", RefusalReason.Host)]
    [InlineData("[zz]:80", RefusalReason.Host)]
    [InlineData("[10.0.0.1]:80", RefusalReason.Host)]
    [InlineData("[fe80::1%1]:80", RefusalReason.Host)]
    public void TryParse_NotHostPort_RefusedWithTheRule(string text, RefusalReason reason)
    {
        Assert.False(EndpointAddress.TryParse(text, out _, out var refusal));
        Assert.Equal(reason, refusal.Reason);
        Assert.StartsWith("endpoint ", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_LongHost_RefusedAsTooLongAndMessageBounded()
    {
        Assert.True(EndpointAddress.TryParse(string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('b', 61) + ":1", out _, out var notRefused), notRefused?.Message);

        Assert.False(EndpointAddress.TryParse(new string('a', 1_000_000) + ":80", out _, out var refusal));
        Assert.Equal(RefusalReason.TooLong, refusal.Reason);
        Assert.True(refusal.Message.Length <= Refusal.MaxLength);
    }

    [Theory]
    [InlineData("fd00::7", "fd00::7", true)]
    [InlineData("[FD00:0::7]", "fd00::7", true)]
    [InlineData("10.2.0.7", "10.2.0.7", false)]
    [InlineData("Node-A", "node-a", false)]
    public void TryParseHost_KubernetesAndBracketedSpellings_Canonical(string text, string host, bool isIPv6)
    {
        Assert.True(EndpointAddress.TryParseHost(text, out var parsed, out var v6, out _));
        Assert.Equal(host, parsed);
        Assert.Equal(isIPv6, v6);
    }

    [Theory]
    [InlineData("10.0.1.2:8080")]
    [InlineData("pod-1.web.default.svc:8080")]
    public void TryParse_CanonicalSpelling_KeepsTheTextAndAllocatesOnlyTheAddress(string text)
    {
        Assert.True(EndpointAddress.TryParse(text, out _, out _));

        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(EndpointAddress.TryParse(text, out var address, out _));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Every report's endpoint is parsed: the address and its host, no array of labels and no second copy of the text.
        Assert.Same(text, address.Value);
        Assert.InRange(allocated, 1, 40 + 22 + (2 * text.Length) + 16);
    }

    [Fact]
    public void TryCreate_BareIPv6FromKubernetes_Bracketed()
    {
        Assert.True(EndpointAddress.TryCreate("fd00:0:0::7", 8080, out var address));
        Assert.Equal("[fd00::7]:8080", address.Value);
        Assert.False(EndpointAddress.TryCreate("10.0.0.1", 0, out _));
    }
}
