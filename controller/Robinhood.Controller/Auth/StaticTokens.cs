using System.Security.Cryptography;
using System.Text;

namespace Robinhood.Controller.Auth;

/// <summary>
/// The StaticToken file: one <c>token service=endpoint[,service=endpoint...]</c> per line (blank lines and
/// <c>#</c> comments ignored). Service: a name or <c>*</c>; endpoint: <c>*</c>, a host, or <c>host:port</c>.
/// </summary>
public sealed class StaticTokens
{
    private readonly Dictionary<string, AgentGrant> _byToken;

    private StaticTokens(Dictionary<string, AgentGrant> byToken) => _byToken = byToken;

    public static StaticTokens Load(string path)
    {
        var byToken = new Dictionary<string, AgentGrant>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var parts = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length != 2)
            {
                throw new FormatException($"{AuthOptions.Section}:TokenFile line {number} must be \"token service=endpoint[,service=endpoint...]\"");
            }

            var patterns = parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            byToken[parts[0]] = AgentGrant.Parse($"static token #{number} ({Fingerprint(parts[0])})", patterns, out var error)
                ?? throw new FormatException($"{AuthOptions.Section}:TokenFile line {number}: {error}");
        }

        return new StaticTokens(byToken);
    }

    /// <summary>The grant of a token, or null when the file does not hold it.</summary>
    public AgentGrant? Find(string token)
    {
        // Compare in constant time per candidate so the lookup does not leak token prefixes.
        var given = Encoding.UTF8.GetBytes(token);
        AgentGrant? found = null;
        foreach (var (known, grant) in _byToken)
        {
            if (CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(known)))
            {
                found = grant;
            }
        }

        return found;
    }

    /// <summary>A short, non-reversible name of a token for logs.</summary>
    public static string Fingerprint(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))[..12];
}
