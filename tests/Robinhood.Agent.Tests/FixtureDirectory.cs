namespace Robinhood.Agent.Tests;

/// <summary>A writable copy of a checked-in fixture tree (kernel files in their real formats), deleted on dispose.</summary>
internal sealed class FixtureDirectory : IDisposable
{
    private FixtureDirectory(string path) => Path = path;

    public string Path { get; }

    public static FixtureDirectory Copy(string fixture)
    {
        var source = System.IO.Path.Join(AppContext.BaseDirectory, "Fixtures", fixture);
        var target = System.IO.Path.Join(System.IO.Path.GetTempPath(), $"robinhood-agent-{Guid.NewGuid():N}");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = System.IO.Path.Join(target, System.IO.Path.GetRelativePath(source, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        return new FixtureDirectory(target);
    }

    /// <summary>Rewrites one file the way the kernel would after time passed: <paramref name="before"/> becomes <paramref name="after"/>.</summary>
    public void Replace(string relativePath, string before, string after)
    {
        var path = System.IO.Path.Join(Path, relativePath);
        var text = File.ReadAllText(path);
        Assert.Contains(before, text, StringComparison.Ordinal);
        File.WriteAllText(path, text.Replace(before, after, StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
