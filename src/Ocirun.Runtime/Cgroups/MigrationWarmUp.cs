namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// Moving a task into a cgroup takes the kernel's global cgroup_threadgroup_rwsem for writing,
/// and its first writer waits for an RCU grace period (5-30 ms on this VM); a writer that comes
/// while that grace period is under way, or soon after it, waits only for what is left of it.
/// A restore moves CRIU's worker into the new container's cgroups once they exist, some 10 ms
/// after it starts: it starts the grace period right away instead, on a thread, by moving
/// itself into the cgroup it is already in (which changes nothing).
/// </summary>
internal static class MigrationWarmUp
{
    public static void Start() => Task.Run(() =>
    {
        try
        {
            if (ProcsFile(File.ReadAllText("/proc/self/mountinfo"), File.ReadAllText("/proc/self/cgroup")) is { } procs)
            {
                Linux.Sys.WriteFile(procs, Environment.ProcessId.ToString());
            }
        }
        catch (Exception)
        {
            // Only ever a head start: the real move still waits as it would have.
        }
    });

    /// <summary>The cgroup.procs of this process's own cgroup in the first hierarchy mounted whole (<see cref="CgroupMounts.Whole"/>), or null (pure).</summary>
    public static string? ProcsFile(string mountinfo, string procCgroup)
    {
        var paths = CgroupMounts.ParseProcCgroup(procCgroup);
        return CgroupMounts.Whole(mountinfo).Select(m => paths.Keys.FirstOrDefault(m.Is) is { } key ? Path.Join(m.MountPoint, paths[key], "cgroup.procs") : null)
            .FirstOrDefault(p => p != null);
    }
}
