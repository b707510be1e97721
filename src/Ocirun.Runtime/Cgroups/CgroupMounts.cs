namespace Ocirun.Runtime.Cgroups;

/// <summary>A mounted cgroup hierarchy: v1 with its controllers, or the cgroup2 tree.</summary>
public sealed record CgroupMount(string MountPoint, string Root, IReadOnlyList<string> Controllers, bool IsV2, bool ReadOnly = false)
{
    /// <summary>The key of the cgroup2 hierarchy (named after its usual mount point on hybrid hosts).</summary>
    public const string V2Key = "unified";

    /// <summary>The key under which the container's path in this hierarchy is recorded.</summary>
    public string Key => IsV2 ? V2Key : string.Join(",", Controllers);

    /// <summary>Whether this mounts the hierarchy a /proc/PID/cgroup key names (its controllers in any order, or "unified").</summary>
    public bool Is(string key) => key == V2Key ? IsV2
        : !IsV2 && key.Split(',') is var wanted && Controllers.Count == wanted.Length && wanted.All(Controllers.Contains);
}

/// <summary>Finds cgroup hierarchies in mountinfo text (pure, so hybrid layouts are testable).</summary>
public static class CgroupMounts
{
    private static readonly HashSet<string> KnownOptions = new() { "rw", "ro", "nosuid", "nodev", "noexec",
        "relatime", "noatime", "clone_children", "xattr", "nsdelegate", "memory_recursiveprot",
        "memory_localevents", "favordynmods", "memory_hugetlb_accounting", "cpuset_v2_mode" };

    /// <summary>Each hierarchy once: a hierarchy may be mounted more than once (e.g. inside containers); the first wins.</summary>
    public static List<CgroupMount> Parse(string mountinfo)
    {
        var seen = new HashSet<string>();
        return Linux.MountInfo.Parse(mountinfo).Select(Of).OfType<CgroupMount>().Where(m => seen.Add(m.Key)).ToList();
    }

    /// <summary>
    /// The mounts that stand for a whole hierarchy: rooted at its root, writable, and not covered
    /// by a later mount (at the same point or above it), in mount order.
    /// </summary>
    public static List<CgroupMount> Whole(string mountinfo)
    {
        var all = Linux.MountInfo.Parse(mountinfo);
        return all.Select((e, i) => (Mount: Of(e), Covered: all.Skip(i + 1).Any(later => Covers(later.MountPoint, e.MountPoint))))
            .Where(x => x.Mount is { Root: "/", ReadOnly: false } && !x.Covered).Select(x => x.Mount!).ToList();
    }

    private static bool Covers(string over, string path) =>
        path == over || path.StartsWith(over.TrimEnd('/') + "/", StringComparison.Ordinal);

    /// <summary>The hierarchy a mountinfo entry mounts; null for any other filesystem.</summary>
    public static CgroupMount? Of(Linux.MountInfoEntry e)
    {
        if (e.FsType is not ("cgroup" or "cgroup2"))
        {
            return null;
        }
        bool v2 = e.FsType == "cgroup2";
        var controllers = v2 ? new List<string>() : e.SuperOptions.Split(',').Where(o => !KnownOptions.Contains(o) && (!o.Contains('=') || o.StartsWith("name=", StringComparison.Ordinal))).ToList();
        return new CgroupMount(e.MountPoint, e.Root, controllers, v2, e.ReadOnly);
    }

    /// <summary>Parses /proc/PID/cgroup into hierarchy key → path.</summary>
    public static Dictionary<string, string> ParseProcCgroup(string text)
    {
        var map = new Dictionary<string, string>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }
            map[parts[0] == "0" && parts[1] == "" ? CgroupMount.V2Key : parts[1]] = parts[2];
        }
        return map;
    }
}
