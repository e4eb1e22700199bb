namespace Robinhood.V1;

/// <summary>
/// The rule for a read token (<c>Robinhood:Read:Token</c> on the controller, the token its clients send): 16..4096
/// characters of RFC 6750's token68, <c>A-Z a-z 0-9 - . _ ~ + /</c> then <c>=</c>s, so it travels as
/// <c>authorization: Bearer &lt;token&gt;</c> unchanged in gRPC metadata and HTTP headers.
/// </summary>
public static class BearerToken
{
    public const int MinLength = 16;

    public const int MaxLength = 4096;

    /// <summary>Null when <paramref name="token"/> keeps the rule, else what it breaks (never quoting the token).</summary>
    public static string? Check(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.Length is < MinLength or > MaxLength)
        {
            return $"{MinLength} to {MaxLength} characters (got {token.Length})";
        }

        var end = token.Length;
        while (end > 1 && token[end - 1] == '=')
        {
            end--;
        }

        for (var i = 0; i < end; i++)
        {
            if (!char.IsAsciiLetterOrDigit(token[i]) && token[i] is not ('-' or '.' or '_' or '~' or '+' or '/'))
            {
                return "only A-Z a-z 0-9 - . _ ~ + / (then '=' at the end), what a bearer token may hold";
            }
        }

        return null;
    }

    /// <summary>The <c>authorization</c> header value that carries <paramref name="token"/>.</summary>
    public static string Header(string token) => $"Bearer {token}";
}
