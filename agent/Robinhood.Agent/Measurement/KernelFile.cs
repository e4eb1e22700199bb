using System.Globalization;

namespace Robinhood.Agent.Measurement;

/// <summary>Parsing of the small text files cgroupfs and procfs expose.</summary>
internal static class KernelFile
{
    /// <summary>A file holding one integer, like <c>cpuacct.usage</c> or <c>cpu.cfs_quota_us</c>.</summary>
    public static long ReadInteger(string path) => ParseInteger(File.ReadAllText(path).Trim(), path);

    /// <summary>The value of <paramref name="key"/> in a flat-keyed file like cgroup v2 <c>cpu.stat</c>.</summary>
    public static long ReadKeyedInteger(string path, string key)
    {
        foreach (var line in File.ReadLines(path))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 2 && fields[0] == key)
            {
                return ParseInteger(fields[1], path);
            }
        }

        throw new IOException($"{path} has no '{key}' line.");
    }

    public static long ParseInteger(string text, string path) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new IOException($"{path}: '{text}' is not an integer.");
}
