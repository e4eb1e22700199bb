using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Robinhood.Agent.Measurement;

namespace Robinhood.Agent.Node;

/// <summary>
/// Finds a pod's cgroup below the node's cgroup root by its UID, whatever the kubelet's driver and the cgroup version:
/// v2 systemd <c>kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod&lt;uid_&gt;.slice</c> (guaranteed pods
/// directly in kubepods.slice), cgroupfs <c>kubepods/burstable/pod&lt;uid&gt;</c>, and the same below a v1 CPU mount.
/// Found paths are cached per UID.
/// </summary>
public sealed partial class PodCgroupLocator(string cgroupRoot)
{
    // kubepods/burstable/pod<uid> under a v1 mount is 4 deep; nested runtimes (kind: kubelet.slice/...) add one or two.
    private const int MaxDepth = 6;

    private readonly ConcurrentDictionary<string, string> _paths = new(StringComparer.Ordinal);

    public string CgroupRoot => cgroupRoot;

    /// <summary>The pod's cgroup path relative to the root (v2) or to its v1 CPU mount, as <see cref="CpuMeter.ForCgroup"/> takes it; null when not (yet) there.</summary>
    public string? Find(string podUid)
    {
        if (_paths.TryGetValue(podUid, out var cached))
        {
            return cached;
        }

        var found = Search(cgroupRoot, podUid);
        if (found is not null)
        {
            _paths[podUid] = found;
        }

        return found;
    }

    /// <summary>Drops a cached path: the pod is gone, or its directory was.</summary>
    public void Forget(string podUid) => _paths.TryRemove(podUid, out _);

    internal static string? Search(string cgroupRoot, string podUid)
    {
        if (!Directory.Exists(cgroupRoot))
        {
            return null;
        }

        // The systemd driver writes the UID with underscores; cgroupfs keeps the dashes.
        string[] names = [podUid, podUid.Replace('-', '_')];
        var v2 = new List<string>();
        var v1 = new List<string>();
        foreach (var top in Directory.EnumerateDirectories(cgroupRoot))
        {
            var name = Path.GetFileName(top);
            if (CgroupV1CpuSource.IsCpuMount(name))
            {
                v1.Add(top);
            }
            else if (IsKubernetesSlice(name))
            {
                v2.Add(top);
            }
        }

        foreach (var top in v2)
        {
            if (SearchBelow(top, names, 1) is { } found)
            {
                return Relative(cgroupRoot, found);
            }
        }

        foreach (var mount in v1)
        {
            foreach (var top in Directory.EnumerateDirectories(mount).Where(d => IsKubernetesSlice(Path.GetFileName(d))))
            {
                if (SearchBelow(top, names, 1) is { } found)
                {
                    return Relative(mount, found);
                }
            }
        }

        return null;
    }

    private static string? SearchBelow(string directory, string[] names, int depth)
    {
        var name = Path.GetFileName(directory);
        if (names.Any(uid => name.Contains(uid, StringComparison.Ordinal)))
        {
            return directory;
        }

        // Another pod's directory holds only its containers: nothing to find there.
        if (depth >= MaxDepth || PodDirectory().IsMatch(name))
        {
            return null;
        }

        try
        {
            foreach (var child in Directory.EnumerateDirectories(directory))
            {
                if (SearchBelow(child, names, depth + 1) is { } found)
                {
                    return found;
                }
            }
        }
        catch (Exception ex) when (ex is DirectoryNotFoundException or UnauthorizedAccessException)
        {
            // A pod cgroup removed while we looked, or one we may not read: not the one we want.
        }

        return null;
    }

    private static bool IsKubernetesSlice(string name) =>
        name.Contains("kubepods", StringComparison.Ordinal) || name.Contains("kubelet", StringComparison.Ordinal);

    private static string Relative(string root, string directory) =>
        Path.GetRelativePath(root, directory).Replace(Path.DirectorySeparatorChar, '/');

    [GeneratedRegex("pod[0-9a-f]{8}[-_][0-9a-f]{4}[-_]")]
    private static partial Regex PodDirectory();
}
