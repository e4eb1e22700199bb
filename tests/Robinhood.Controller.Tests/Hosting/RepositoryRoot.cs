namespace Robinhood.Controller.Tests.Hosting;

/// <summary>The checkout the tests run from, for tests that drive tools in it (node scripts under tests/).</summary>
public static class RepositoryRoot
{
    /// <summary>The nearest folder above the test binaries holding Robinhood.sln.</summary>
    public static string Path { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Robinhood.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"No Robinhood.sln above {AppContext.BaseDirectory}");
    }
}
