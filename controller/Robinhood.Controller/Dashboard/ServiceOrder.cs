namespace Robinhood.Controller.Dashboard;

/// <summary>Service names in reading order: runs of digits compare as numbers (<c>web-2</c> before <c>web-10</c>), the rest ordinally.</summary>
public sealed class ServiceOrder : IComparer<string>
{
    public static readonly ServiceOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                var (a, b) = (Digits(x, ref i), Digits(y, ref j));
                // Without leading zeros, a longer run is a larger number; equal lengths compare digit by digit.
                var byValue = a.TrimStart('0').Length != b.TrimStart('0').Length
                    ? a.TrimStart('0').Length.CompareTo(b.TrimStart('0').Length)
                    : string.CompareOrdinal(a.TrimStart('0'), b.TrimStart('0'));
                if (byValue != 0)
                {
                    return byValue;
                }

                continue;
            }

            if (x[i] != y[j])
            {
                return x[i].CompareTo(y[j]);
            }

            i++;
            j++;
        }

        var byRest = (x.Length - i).CompareTo(y.Length - j);
        // Equal as numbers (web-02, web-2): fall back to ordinal, so the order is total and stable.
        return byRest != 0 ? byRest : string.CompareOrdinal(x, y);
    }

    private static string Digits(string s, ref int at)
    {
        var from = at;
        while (at < s.Length && char.IsAsciiDigit(s[at]))
        {
            at++;
        }

        return s[from..at];
    }
}
