namespace Ocirun.Runtime.Rootfs;

/// <summary>
/// Which mounts may go on or under the container's /proc (pure), as runc 1.3 decides: on /proc
/// itself only a procfs (a new one, or a bind of one); below it only the files lxcfs emulates.
/// Anything else would cover what the runtime and the kernel's interfaces rely on: a tmpfs on
/// /proc/self/attr takes the place of the LSM's files the init writes its label to
/// (CVE-2019-16884), one on /proc/sys the place of the sysctls it writes.
/// </summary>
public static class ProcMountCheck
{
    private static readonly string[] LxcfsFiles =
    [
        "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps", "/proc/uptime",
        "/proc/loadavg", "/proc/slabinfo", "/proc/sys/kernel/ns_last_pid", "/proc/sys/crypto/fips_enabled",
    ];

    /// <summary>
    /// Why a mount of the given type may not go on dest (a path inside the rootfs, as resolved
    /// there), in runc's words that name it on the host, or null if it may. sourceIsProcfs is
    /// asked only for a bind onto /proc itself.
    /// </summary>
    public static string? Refusal(string rootfs, string dest, string type, bool bind, Func<bool> sourceIsProcfs)
    {
        var shown = rootfs.TrimEnd('/') + dest;
        if (dest == "/proc")
        {
            bool procfs = bind ? sourceIsProcfs() : type == "proc";
            return procfs ? null : $"\"{shown}\" cannot be mounted because it is not of type proc";
        }
        if (!dest.StartsWith("/proc/", StringComparison.Ordinal) || LxcfsFiles.Contains(dest))
        {
            return null;
        }
        return $"\"{shown}\" cannot be mounted because it is inside /proc";
    }
}
