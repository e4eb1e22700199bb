using System.Collections.Concurrent;
using System.Diagnostics;

namespace Robinhood.Charts.Tests.Helm;

/// <summary>
/// One helm binary for the whole run (charts/install-helm.sh fetches it once when none is on
/// PATH), and the chart rendered once per value set.
/// </summary>
public sealed class HelmFixture
{
    public const string ReleaseName = "rh";
    public const string Namespace = "robinhood";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);
    private readonly ConcurrentDictionary<string, Lazy<RenderedChart>> _rendered = new(StringComparer.Ordinal);

    public HelmFixture()
    {
        var install = Run("bash", [RepositoryRoot.Combine("charts", "install-helm.sh")]);
        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException($"charts/install-helm.sh failed: {install}");
        }

        HelmPath = install.Output.Trim().Split('\n')[^1].Trim();
    }

    public string HelmPath { get; }

    public static string ChartPath => RepositoryRoot.Combine("charts", "robinhood");

    /// <summary>The chart's one required value (the registry its images are pulled from), for every render and lint.</summary>
    public static readonly string[] RequiredValues = ["--set", "image.registry=registry.example.com/"];

    /// <summary>Absolute path of a values file under tests/Robinhood.Charts.Tests/values.</summary>
    public static string ValuesPath(string relative) =>
        RepositoryRoot.Combine(["tests", "Robinhood.Charts.Tests", "values", .. relative.Split('/')]);

    public HelmResult Helm(params string[] args) => Run(HelmPath, args);

    /// <summary>`helm template` with a value set (null: the chart's defaults).</summary>
    public HelmResult Template(string? valueSet) =>
        Helm([.. TemplateArgs(valueSet)]);

    /// <summary>The chart rendered with a value set and parsed; a failed render throws with helm's message.</summary>
    public RenderedChart Render(string? valueSet) =>
        _rendered.GetOrAdd(valueSet ?? "", _ => new Lazy<RenderedChart>(() =>
        {
            var result = Template(valueSet);
            return result.ExitCode == 0
                ? RenderedChart.Parse(result.Output)
                : throw new InvalidOperationException($"helm template failed for {valueSet ?? "default values"}: {result}");
        })).Value;

    private static IEnumerable<string> TemplateArgs(string? valueSet)
    {
        yield return "template";
        yield return ReleaseName;
        yield return ChartPath;
        yield return "--namespace";
        yield return Namespace;
        foreach (var arg in RequiredValues)
        {
            yield return arg;
        }

        if (valueSet is not null)
        {
            yield return "--values";
            yield return ValuesPath(valueSet);
        }
    }

    private static HelmResult Run(string fileName, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot.Path,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} ran longer than {CommandTimeout}");
        }

        return new HelmResult(process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
    }
}

[CollectionDefinition(Name)]
public sealed class HelmCollection : ICollectionFixture<HelmFixture>
{
    public const string Name = "helm";
}
