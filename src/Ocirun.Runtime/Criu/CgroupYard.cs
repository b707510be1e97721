using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// The cgroup yard CRIU dumps and restores cgroups through, owned by ocirun: one mount per
/// hierarchy in the container's state directory, named as CRIU's cgroup_yard option expects (the
/// controllers, "systemd" for name=systemd, "unified" for cgroup2). Where the host has a mount of
/// the whole hierarchy (writable, its root the hierarchy's), the yard's is a bind of it: a fresh
/// mount of cgroup2 first waits for every cgroup removed lately to be gone (some 10 ms here right
/// after a container was deleted), at every dump (CRIU's own mounts, without a yard) and every
/// restore. (A symlink would not do: CRIU opens the yard from restored tasks whose root is
/// already the container's.) Left to CRIU, the yard is a tmpfs and a dozen cgroup mounts in the
/// work directory that outlive a killed restore; here a later `delete --force` finds and removes
/// them with the state directory.
/// </summary>
internal static class CgroupYard
{
    /// <summary>One yard entry: a bind of the host's mount at BindOf, or a mount of its own (FsType, Options).</summary>
    public sealed record Entry(string Dir, string FsType, string? Options, string? BindOf);

    public static void Prepare(string yard)
    {
        Remove(yard); // one a killed command left
        Directory.CreateDirectory(yard);
        try
        {
            foreach (var e in Plan(File.ReadAllText("/proc/self/cgroup"), File.ReadAllText("/proc/self/mountinfo")))
            {
                var path = Path.Combine(yard, e.Dir);
                Directory.CreateDirectory(path);
                if (e.BindOf != null)
                {
                    Sys.Mount(e.BindOf, path, null, MS_BIND, null);
                }
                else
                {
                    Sys.Mount("cgroup", path, e.FsType, MS_NOSUID | MS_NODEV | MS_NOEXEC, e.Options);
                }
            }
        }
        catch
        {
            Remove(yard);
            throw;
        }
    }

    /// <summary>
    /// Each hierarchy of /proc/self/cgroup as its yard entry: a bind of the first mount of the
    /// whole hierarchy (<see cref="CgroupMounts.Whole"/>), if there is one.
    /// </summary>
    public static List<Entry> Plan(string procCgroup, string mountinfo)
    {
        var whole = CgroupMounts.Whole(mountinfo);
        return CgroupMounts.ParseProcCgroup(procCgroup).Keys.Select(key =>
        {
            var bindOf = whole.FirstOrDefault(m => m.Is(key))?.MountPoint;
            return key == CgroupMount.V2Key ? new Entry("unified", "cgroup2", null, bindOf)
                : key.StartsWith("name=", StringComparison.Ordinal) ? new Entry(key[5..], "cgroup", "none," + key, bindOf)
                : new Entry(key, "cgroup", key, bindOf);
        }).ToList();
    }

    /// <summary>
    /// Unmounts and removes a yard, ours or one CRIU made itself (then the yard is a tmpfs too);
    /// nothing to do when there is none.
    /// </summary>
    public static void Remove(string yard)
    {
        if (!Directory.Exists(yard))
        {
            return;
        }
        foreach (var dir in Directory.GetDirectories(yard))
        {
            Libc.umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW);
            Directory.Delete(dir);
        }
        Libc.umount2(yard, MNT_DETACH | UMOUNT_NOFOLLOW); // EINVAL where it is no mount point: nothing to undo
        Directory.Delete(yard);
    }

    /// <summary>
    /// Yards CRIU made for itself in a work directory (".criu.cgyard.XXXXXX") and left there when
    /// it was killed, by an earlier ocirun or by another runtime: removed before a restore uses
    /// the directory again.
    /// </summary>
    public static void RemoveLeftInWorkDir(string workDir)
    {
        var prefix = workDir.TrimEnd('/') + "/.criu.cgyard.";
        foreach (var yard in MountInfo.OfSelf().Select(m => m.MountPoint)
            .Where(p => p.StartsWith(prefix, StringComparison.Ordinal) && !p[prefix.Length..].Contains('/')).Distinct().ToList())
        {
            Remove(yard);
        }
    }
}
