using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Robinhood.Charts.Tests;

/// <summary>
/// The hosts' Dockerfiles, read as text (no Docker engine in CI): the stages, the user, the
/// ports, and that the build context they copy holds every project the host references.
/// </summary>
public sealed partial class DockerfileTests
{
    public static TheoryData<string, string, int[]> Hosts => new()
    {
        { "controller/Robinhood.Controller", "Robinhood.Controller", [7000, 7001] },
        { "agent/Robinhood.Agent", "Robinhood.Agent", [7002] },
        { "client/Robinhood.Proxy", "Robinhood.Proxy", [8080] },
    };

    [Theory]
    [MemberData(nameof(Hosts))]
    public void Dockerfile_BuildsWithTheSdkAndRunsOnAspNetAsUid1654(string project, string assembly, int[] ports)
    {
        var text = File.ReadAllText(RepositoryRoot.Combine(project, "Dockerfile"));

        Assert.Matches(@"(?m)^FROM mcr\.microsoft\.com/dotnet/sdk:10\.0 AS build$", text);
        Assert.Matches(@"(?m)^FROM mcr\.microsoft\.com/dotnet/aspnet:10\.0 AS runtime$", text);
        Assert.Matches(@"(?m)^USER 1654$", text);
        Assert.Contains($"ENTRYPOINT [\"dotnet\", \"{assembly}.dll\"]", text, StringComparison.Ordinal);
        Assert.Contains($"dotnet publish {project}/{assembly}.csproj", text, StringComparison.Ordinal);
        var exposed = ExposeLine().Match(text).Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse);
        Assert.Equal(ports, exposed);
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public void Dockerfile_CopiesEveryProjectTheHostReferences(string project, string assembly, int[] ports)
    {
        Assert.NotEmpty(ports);
        var text = File.ReadAllText(RepositoryRoot.Combine(project, "Dockerfile"));
        var copied = CopyLine().Matches(text).Select(m => m.Groups[1].Value.TrimEnd('/') + "/").ToList();

        foreach (var reference in ProjectClosure(RepositoryRoot.Combine(project, $"{assembly}.csproj")))
        {
            var relative = Path.GetRelativePath(RepositoryRoot.Path, reference).Replace('\\', '/');
            Assert.True(copied.Any(c => relative.StartsWith(c, StringComparison.Ordinal)),
                $"{project}/Dockerfile copies {string.Join(", ", copied)} but the build needs {relative}");
        }
    }

    [Fact]
    public void DockerIgnore_KeepsBuildOutputOutOfTheContext()
    {
        var lines = File.ReadAllLines(RepositoryRoot.Combine(".dockerignore"));

        Assert.Contains("**/bin/", lines);
        Assert.Contains("**/obj/", lines);
    }

    private static HashSet<string> ProjectClosure(string csproj)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(csproj)]);
        while (pending.TryPop(out var current))
        {
            if (!seen.Add(current))
            {
                continue;
            }

            foreach (var include in XDocument.Load(current).Descendants("ProjectReference").Select(e => e.Attribute("Include")?.Value).OfType<string>())
            {
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, include.Replace('\\', '/'))));
            }
        }

        return seen;
    }

    [GeneratedRegex(@"(?m)^EXPOSE ([0-9 ]+)$")]
    private static partial Regex ExposeLine();

    [GeneratedRegex(@"(?m)^COPY (?!--)(\S+/) \S+/?$")]
    private static partial Regex CopyLine();
}
