using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// The cgroup yard CRIU restores cgroups through, owned by ocirun: one mount per hierarchy
/// in the container's state directory, named as CRIU's cgroup_yard option expects (the
/// controllers, "systemd" for name=systemd, "unified" for cgroup2). Left to CRIU, the yard is a
/// tmpfs and a dozen cgroup mounts in the work directory that outlive a killed restore; here a
/// later `delete --force` finds and removes them with the state directory.
/// </summary>
internal static class CgroupYard
{
    public static void Prepare(string yard)
    {
        Directory.CreateDirectory(yard);
        try
        {
            foreach (var (dir, fsType, options) in Hierarchies(File.ReadAllText("/proc/self/cgroup")))
            {
                var path = Path.Combine(yard, dir);
                Directory.CreateDirectory(path);
                Sys.Mount("cgroup", path, fsType, MS_NOSUID | MS_NODEV | MS_NOEXEC, options);
            }
        }
        catch
        {
            Remove(yard);
            throw;
        }
    }

    /// <summary>Each hierarchy of /proc/self/cgroup as its yard directory, filesystem type and mount options.</summary>
    public static IEnumerable<(string Dir, string FsType, string? Options)> Hierarchies(string procCgroup)
    {
        foreach (var line in procCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }
            var controllers = parts[1];
            if (controllers.Length == 0)
            {
                yield return ("unified", "cgroup2", null);
            }
            else if (controllers.StartsWith("name=", StringComparison.Ordinal))
            {
                yield return (controllers[5..], "cgroup", "none," + controllers);
            }
            else
            {
                yield return (controllers, "cgroup", controllers);
            }
        }
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
            Libc.umount2(dir, MNT_DETACH);
            Directory.Delete(dir);
        }
        Libc.umount2(yard, MNT_DETACH); // EINVAL where it is no mount point: nothing to undo
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
