namespace Robinhood.V1;

/// <summary>The contract's rule for a service name: 1..253 characters of <c>[A-Za-z0-9._/-]</c>.</summary>
public static class ServiceName
{
    public const int MaxLength = 253;

    /// <summary>The rule as the refusals state it.</summary>
    public const string Rule = "1..253 characters of [A-Za-z0-9._/-]";

    /// <summary>Null when <paramref name="name"/> is a valid service name, else why not, naming <paramref name="field"/>.</summary>
    public static Refusal? Check(string? name, string field = "service")
    {
        if (string.IsNullOrEmpty(name))
        {
            return Refusal.Of(RefusalReason.Empty, field, $"must not be empty ({Rule})");
        }

        if (name.Length > MaxLength)
        {
            return Refusal.Of(RefusalReason.TooLong, field, $"must be at most {MaxLength} characters (got {name.Length})");
        }

        foreach (var c in name)
        {
            if (!IsAllowed(c))
            {
                return Refusal.Of(RefusalReason.Characters, field, $"may contain only [A-Za-z0-9._/-] (got {Refusal.Quote(c.ToString())})");
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="name"/> is a valid service name.</summary>
    public static bool IsValid(string? name) => Check(name) is null;

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '/' or '-';
}
