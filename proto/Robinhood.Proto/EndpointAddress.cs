using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Robinhood.V1;

/// <summary>
/// An endpoint's identity, <c>host:port</c>, in its one canonical spelling (docs/trust.md): the host
/// lowercased, an IPv6 literal bracketed in its shortest form, the port in decimal 1..65535 without
/// leading zeros. Other spellings of the same endpoint parse to the same value; a host that looks like
/// an IPv4 address but is not one (<c>999.1.1.1</c>, <c>0x7f.1</c>, <c>010.0.0.1</c>) is refused.
/// </summary>
public sealed record EndpointAddress
{
    /// <summary>Longest host: a DNS name.</summary>
    public const int MaxHostLength = 253;

    /// <summary>Longest endpoint as sent: a 253-character host, brackets, a colon and five digits.</summary>
    public const int MaxLength = MaxHostLength + 8;

    private const string Rule = "must be host:port (a DNS name, an IPv4 address or a bracketed IPv6 address, and a port in 1..65535)";

    private static readonly SearchValues<char> DnsCharacters = SearchValues.Create("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz");
    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789ABCDEFabcdef");
    private static readonly SearchValues<char> Digits = SearchValues.Create("0123456789");

    /// <param name="spelled">The text parsed, kept as <see cref="Value"/> when it is already canonical (most are: no copy per report).</param>
    private EndpointAddress(string host, int port, bool isIPv6, string? spelled = null)
    {
        Host = host;
        Port = port;
        IsIPv6 = isIPv6;
        // A host here passed TryParseHost: at most MaxHostLength characters, so the canonical form fits.
        Span<char> canonical = stackalloc char[MaxLength];
        var n = 0;
        if (isIPv6)
        {
            canonical[n++] = '[';
        }

        host.AsSpan().CopyTo(canonical[n..]);
        n += host.Length;
        if (isIPv6)
        {
            canonical[n++] = ']';
        }

        canonical[n++] = ':';
        port.TryFormat(canonical[n..], out var digits, default, CultureInfo.InvariantCulture);
        n += digits;
        Value = spelled is not null && canonical[..n].SequenceEqual(spelled) ? spelled : new string(canonical[..n]);
    }

    /// <summary>The canonical host, IPv6 without brackets.</summary>
    public string Host { get; }

    public int Port { get; }

    public bool IsIPv6 { get; }

    /// <summary>The canonical <c>host:port</c>.</summary>
    public string Value { get; }

    public override string ToString() => Value;

    /// <summary>Parses <c>host:port</c> in any spelling into its canonical form, or says why it is not one, naming <paramref name="field"/>.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out EndpointAddress? address, [NotNullWhen(false)] out Refusal? refusal, string field = "endpoint")
    {
        address = null;
        if (string.IsNullOrEmpty(text))
        {
            refusal = Refusal.Of(RefusalReason.Empty, field, $"{Rule} (got an empty value)");
            return false;
        }

        if (text.Length > MaxLength)
        {
            refusal = Refusal.Of(RefusalReason.TooLong, field, $"must be at most {MaxLength} characters (got {text.Length})");
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || (text[0] != '[' && text.IndexOf(':', StringComparison.Ordinal) != colon) || (text[0] == '[' && text[colon - 1] != ']'))
        {
            refusal = Refusal.Of(RefusalReason.Malformed, field, $"{Rule} (got {Refusal.Quote(text)})");
            return false;
        }

        if (!TryParsePort(text.AsSpan(colon + 1), out var port))
        {
            refusal = Refusal.Of(RefusalReason.Port, field, $"port must be a decimal number in 1..65535 (got {Refusal.Quote(text[(colon + 1)..])})");
            return false;
        }

        // The usual field's name is a constant: a report's endpoint is parsed every second.
        if (!TryParseHost(text[..colon], out var host, out var isIPv6, out refusal, field == "endpoint" ? "endpoint host" : field + " host"))
        {
            return false;
        }

        address = new EndpointAddress(host, port, isIPv6, text);
        return true;
    }

    /// <summary>Parses an endpoint, or returns null; for values the caller only skips when bad.</summary>
    public static EndpointAddress? Parse(string? text) => TryParse(text, out var address, out _) ? address : null;

    /// <summary>The endpoint of a host (an IP as Kubernetes spells it, bracketed or not, or a DNS name) and a port.</summary>
    public static bool TryCreate(string? host, int port, [NotNullWhen(true)] out EndpointAddress? address)
    {
        address = null;
        if (port is < 1 or > 65535 || !TryParseHost(host, out var canonical, out var isIPv6, out _, "host"))
        {
            return false;
        }

        address = new EndpointAddress(canonical, port, isIPv6);
        return true;
    }

    /// <summary>
    /// Parses a host alone into its canonical form (IPv6 without brackets): a DNS name, a dotted IPv4
    /// address, or an IPv6 address with or without brackets.
    /// </summary>
    public static bool TryParseHost(string? text, [NotNullWhen(true)] out string? host, out bool isIPv6, [NotNullWhen(false)] out Refusal? refusal, string field = "endpoint host")
    {
        host = null;
        isIPv6 = false;
        if (string.IsNullOrEmpty(text))
        {
            refusal = Refusal.Of(RefusalReason.Host, field, "must not be empty");
            return false;
        }

        var bracketed = text.StartsWith('[');
        if (bracketed || text.Contains(':', StringComparison.Ordinal))
        {
            var literal = bracketed && text.EndsWith(']') ? text[1..^1] : text;
            if (bracketed == text.EndsWith(']') && !literal.Contains('%', StringComparison.Ordinal)
                && IPAddress.TryParse(literal, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6)
            {
                host = ip.ToString();
                isIPv6 = true;
                refusal = null;
                return true;
            }

            refusal = Refusal.Of(RefusalReason.Host, field, $"with a colon must be an IPv6 address in brackets, without a zone (got {Refusal.Quote(text)})");
            return false;
        }

        if (text.Length > MaxHostLength)
        {
            refusal = Refusal.Of(RefusalReason.TooLong, field, $"must be at most {MaxHostLength} characters (got {text.Length})");
            return false;
        }

        // The same instance when already lowercase; the labels are read in place (a report is parsed this way every second).
        var lower = text.ToLowerInvariant();
        var name = lower.AsSpan();
        var labels = 0;
        var numeric = true;
        var octets = true;
        foreach (var range in name.Split('.'))
        {
            labels++;
            numeric &= IsNumericLabel(name[range]);
            octets &= IsOctet(name[range]);
        }

        if (numeric)
        {
            // Resolvers read such hosts as addresses (inet_aton: 0x7f.1 is 127.0.0.1), so only dotted decimal passes.
            if (labels == 4 && octets)
            {
                host = lower;
                refusal = null;
                return true;
            }

            refusal = Refusal.Of(RefusalReason.Host, field, $"that looks like an IPv4 address must be four decimal numbers 0..255 without leading zeros (got {Refusal.Quote(text)})");
            return false;
        }

        foreach (var range in name.Split('.'))
        {
            var label = name[range];
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || label.ContainsAnyExcept(DnsCharacters))
            {
                refusal = Refusal.Of(RefusalReason.Host, field, $"must be a DNS name (dot-separated labels of 1..63 characters of [A-Za-z0-9_-]) or an IP address (got {Refusal.Quote(text)})");
                return false;
            }
        }

        host = lower;
        refusal = null;
        return true;
    }

    private static bool TryParsePort(ReadOnlySpan<char> text, out int port)
    {
        // Leading zeros are folded (0080 is 80); anything but ASCII digits is refused.
        var digits = text.TrimStart('0');
        port = 0;
        return text.Length > 0 && digits.Length is > 0 and <= 5 && !digits.ContainsAnyExcept(Digits)
            && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;
    }

    private static bool IsNumericLabel(ReadOnlySpan<char> label) =>
        label.Length > 0 && (!label.ContainsAnyExcept(Digits) || (label.StartsWith("0x", StringComparison.Ordinal) && !label[2..].ContainsAnyExcept(HexDigits)));

    private static bool IsOctet(ReadOnlySpan<char> label) =>
        label.Length is >= 1 and <= 3 && !label.ContainsAnyExcept(Digits) && (label.Length == 1 || label[0] != '0') && int.Parse(label, CultureInfo.InvariantCulture) <= 255;
}
