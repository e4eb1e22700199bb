using System.Globalization;
using System.Text;

namespace Robinhood.Controller.Tests.Metrics;

/// <summary>One sample of a scrape: a series name, its labels and its value.</summary>
public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) =>
        Labels.TryGetValue(name, out var value) ? value : throw new Xunit.Sdk.XunitException($"{this} has no label {name}");

    public override string ToString() =>
        $"{Name}{{{string.Join(",", Labels.Select(l => $"{l.Key}=\"{l.Value}\""))}}} {Value.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// A Prometheus text-format (0.0.4) scrape, parsed strictly: a line that is not a comment,
/// blank or a well-formed sample fails the parse, so a malformed exposition fails the test.
/// </summary>
public sealed class PrometheusText
{
    private PrometheusText(IReadOnlyDictionary<string, string> types, IReadOnlyList<Sample> samples)
    {
        Types = types;
        Samples = samples;
    }

    /// <summary>Family name to its declared type (counter, gauge, histogram, ...), from the # TYPE lines.</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public IReadOnlyList<Sample> Samples { get; }

    /// <summary>Samples of one series name (e.g. a histogram's <c>_count</c>), optionally matching some labels.</summary>
    public IReadOnlyList<Sample> Series(string name, params (string Label, string Value)[] labels) =>
        [.. Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value))];

    public static PrometheusText Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<Sample>();
        foreach (var (raw, number) in text.Split('\n').Select((l, i) => (l.TrimEnd('\r'), i + 1)))
        {
            if (raw.Length == 0)
            {
                continue;
            }

            if (raw.StartsWith('#'))
            {
                var parts = raw.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 4 && parts[1] == "TYPE")
                {
                    types[parts[2]] = parts[3];
                }

                continue;
            }

            samples.Add(ParseSample(raw) ?? throw new FormatException($"line {number} is not a sample: {raw}"));
        }

        return new PrometheusText(types, samples);
    }

    private static Sample? ParseSample(string line)
    {
        var i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or ':'))
        {
            i++;
        }

        if (i == 0)
        {
            return null;
        }

        var name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (i < line.Length && line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"')
                {
                    return null;
                }

                var label = line[i..eq];
                var value = new StringBuilder();
                i = eq + 2;
                for (; i < line.Length && line[i] != '"'; i++)
                {
                    if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        i++;
                        value.Append(line[i] == 'n' ? '\n' : line[i]);
                    }
                    else
                    {
                        value.Append(line[i]);
                    }
                }

                if (i >= line.Length)
                {
                    return null;
                }

                labels[label] = value.ToString();
                i++;
                if (i < line.Length && line[i] == ',')
                {
                    i++;
                }
            }

            if (i >= line.Length)
            {
                return null;
            }

            i++;
        }

        var rest = line[i..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length is 0 or > 2 || !TryParseValue(rest[0], out var sampleValue))
        {
            return null;
        }

        return new Sample(name, labels, sampleValue);
    }

    private static bool TryParseValue(string text, out double value)
    {
        switch (text)
        {
            case "+Inf":
                value = double.PositiveInfinity;
                return true;
            case "-Inf":
                value = double.NegativeInfinity;
                return true;
            case "NaN":
                value = double.NaN;
                return true;
            default:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }
}
