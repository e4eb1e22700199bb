using System.Text;

namespace Robinhood.V1;

/// <summary>
/// A refusal: its <see cref="RefusalReason"/> and the message that names the field and the rule, never
/// longer than <see cref="MaxLength"/> characters (docs/trust.md: an ack never echoes more than it must).
/// </summary>
public sealed record Refusal
{
    /// <summary>Longest ack text and longest echo of a caller's value in an ack or a log line.</summary>
    public const int MaxLength = 256;

    /// <summary>Longest quote of a caller's value inside a message.</summary>
    private const int MaxQuote = 64;

    private Refusal(RefusalReason reason, string message)
    {
        Reason = reason;
        Message = message;
    }

    public RefusalReason Reason { get; }

    /// <summary>"&lt;field&gt; &lt;rule&gt;", at most <see cref="MaxLength"/> characters.</summary>
    public string Message { get; }

    /// <summary>The metric label of <see cref="Reason"/>.</summary>
    public string Label => Reason.Label();

    /// <summary>A refusal of <paramref name="field"/> by <paramref name="rule"/> (the rule may quote the value with <see cref="Quote"/>).</summary>
    public static Refusal Of(RefusalReason reason, string field, string rule) => new(reason, Cut($"{field} {rule}"));

    /// <summary>A refusal whose message was written elsewhere (a leader's ack relayed by a follower), cut to <see cref="MaxLength"/>.</summary>
    public static Refusal Relayed(RefusalReason reason, string message) => new(reason, Cut(message));

    /// <summary>A caller's value cut to <see cref="MaxLength"/> characters, for an ack field or a log line.</summary>
    public static string Cut(string? value) => Cut(value, MaxLength);

    /// <summary>A caller's value as it may appear inside a message: quoted, control characters escaped, cut short.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = new StringBuilder("\"");
        foreach (var c in Cut(value, MaxQuote))
        {
            _ = char.IsControl(c) ? text.Append($"\\u{(int)c:x4}") : text.Append(c);
        }

        return text.Append('"').ToString();
    }

    public override string ToString() => Message;

    private static string Cut(string? value, int max)
    {
        if (value is null || value.Length <= max)
        {
            return value ?? "";
        }

        // Keep room for the ellipsis and never split a surrogate pair.
        var keep = max - 1;
        if (char.IsHighSurrogate(value[keep - 1]))
        {
            keep--;
        }

        return string.Concat(value.AsSpan(0, keep), "…");
    }
}
