namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// Where a container's cgroup directories are under the cgroupfs driver (pure where it can be:
/// <see cref="Resolve"/> is unit-tested), and which of them a rootless caller may use.
/// </summary>
public static class CgroupPlacement
{
    /// <summary>
    /// The container's directory in every mounted hierarchy. An absolute cgroupsPath is taken
    /// from each hierarchy's root; a relative one (or the id, when none is given) from the
    /// runtime's own cgroup, as runc's cgroupfs driver does.
    /// </summary>
    public static Dictionary<string, string> Resolve(IEnumerable<CgroupMount> mounts,
        IReadOnlyDictionary<string, string> own, string? cgroupsPath, string id)
    {
        var rel = string.IsNullOrEmpty(cgroupsPath) ? id : cgroupsPath;
        if (rel.Contains(':'))
        {
            throw new ContainerException($"cgroupsPath {rel} looks like a systemd unit: only the cgroupfs driver is supported");
        }
        var paths = new Dictionary<string, string>();
        foreach (var m in mounts)
        {
            string inner = rel.StartsWith('/') ? rel : Path.Combine(own.GetValueOrDefault(m.Key, "/"), rel);
            paths[m.Key] = DirIn(m, inner);
        }
        return paths;
    }

    /// <summary>A cgroup path (as /proc/PID/cgroup gives it) as a directory of the mounted hierarchy.</summary>
    private static string DirIn(CgroupMount m, string inner)
    {
        // Paths in /proc/self/cgroup are relative to the mount's root when the mount is a subtree.
        if (m.Root != "/" && inner.StartsWith(m.Root, StringComparison.Ordinal))
        {
            inner = inner[m.Root.Length..];
        }
        var full = Path.GetFullPath(Path.Combine(m.MountPoint, inner.TrimStart('/')));
        if (full != m.MountPoint && !full.StartsWith(m.MountPoint.TrimEnd('/') + "/", StringComparison.Ordinal))
        {
            throw new ContainerException($"cgroupsPath {inner} escapes the cgroup hierarchy");
        }
        return full;
    }

    /// <summary>
    /// A rootless exec joins the container's cgroups it may join and leaves out the others,
    /// as runc ignores a rootless exec's join errors (a scope of the user's systemd is not
    /// joinable from outside that manager's subtree).
    /// </summary>
    public static Dictionary<string, string> JoinableByCaller(IReadOnlyDictionary<string, string> paths)
    {
        var skipped = CallerCannotUse(paths, CgroupMounts.Parse(File.ReadAllText("/proc/self/mountinfo")),
            CgroupMounts.ParseProcCgroup(File.ReadAllText("/proc/self/cgroup")));
        if (skipped.Count > 0)
        {
            DebugLog.Write($"rootless: no permission to join the container's cgroup in {string.Join(", ", skipped)}: the process stays out of it");
        }
        return paths.Where(p => !skipped.Contains(p.Key)).ToDictionary();
    }

    /// <summary>
    /// The hierarchies of paths this process may not create or join (<see cref="RootlessCgroups"/>),
    /// judged from its own cgroup in each; one outside what the mount shows (a process that
    /// entered from another cgroup namespace) counts as the hierarchy's root.
    /// </summary>
    public static List<string> CallerCannotUse(IReadOnlyDictionary<string, string> paths, List<CgroupMount> mounts,
        IReadOnlyDictionary<string, string> own)
    {
        var ownDirs = mounts.ToDictionary(m => m.Key, m =>
        {
            try
            {
                return DirIn(m, own.GetValueOrDefault(m.Key, "/"));
            }
            catch (ContainerException)
            {
                return m.MountPoint;
            }
        });
        return RootlessCgroups.Unusable(paths, ownDirs, Path.Exists,
            p => Interop.Libc.faccessat(Interop.Consts.AT_FDCWD, p, Interop.Consts.W_OK, 0) == 0);
    }
}
