namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// Which hierarchies a rootless caller can put a container in. runc's rootless cgroupfs driver
/// skips, for a container with no cgroupsPath, each hierarchy it gets a permission error in,
/// and fails only when a limit needs one of them; a cgroupsPath given explicitly must work.
/// Decided up front, from permissions, so that nothing is half made.
/// </summary>
public static class RootlessCgroups
{
    /// <summary>The hierarchies (keys) in which the caller may not create or find the directory and move a process into it.</summary>
    public static List<string> Unusable(IReadOnlyDictionary<string, string> paths,
        IReadOnlyDictionary<string, string> ownDirs, Func<string, bool> exists, Func<string, bool> writable) =>
        paths.Where(p => !MayJoin(p.Key, p.Value, ownDirs.GetValueOrDefault(p.Key), exists, writable)).Select(p => p.Key).ToList();

    /// <summary>
    /// A new directory needs a writable parent; an existing one a writable `tasks` (v1) or
    /// `cgroup.procs` (v2). cgroup2 also wants the mover to write cgroup.procs of the nearest
    /// common ancestor of the process's current cgroup and the target.
    /// </summary>
    public static bool MayJoin(string key, string dir, string? ownDir, Func<string, bool> exists, Func<string, bool> writable)
    {
        bool v2 = key == CgroupMount.V2Key;
        if (exists(dir))
        {
            if (!writable(Path.Combine(dir, v2 ? "cgroup.procs" : "tasks")))
            {
                return false;
            }
        }
        else
        {
            var parent = Path.GetDirectoryName(dir);
            while (parent != null && !exists(parent))
            {
                parent = Path.GetDirectoryName(parent);
            }
            if (parent == null || !writable(parent))
            {
                return false;
            }
        }
        return !v2 || ownDir == null || writable(Path.Combine(CommonAncestor(dir, ownDir), "cgroup.procs"));
    }

    /// <summary>The deepest directory both paths are in (or are).</summary>
    public static string CommonAncestor(string a, string b)
    {
        var x = a.TrimEnd('/').Split('/');
        var y = b.TrimEnd('/').Split('/');
        int n = 0;
        while (n < x.Length && n < y.Length && x[n] == y[n])
        {
            n++;
        }
        return n <= 1 ? "/" : string.Join('/', x.Take(n));
    }
}
