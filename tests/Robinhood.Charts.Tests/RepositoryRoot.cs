namespace Robinhood.Charts.Tests;

/// <summary>The checkout the tests run from: the nearest folder above the test binaries holding Robinhood.sln.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Robinhood.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Robinhood.sln above {AppContext.BaseDirectory}");
    }
}
