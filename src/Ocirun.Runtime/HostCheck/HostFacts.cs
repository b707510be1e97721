using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Criu;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.HostCheck;

/// <summary>
/// Gathers what `ocirun check` reports: each fact read from the kernel (/proc, /sys, a harmless
/// probe of a system call) or asked of CRIU, never assumed from a version number alone.
/// </summary>
public static unsafe class HostFacts
{
    private static readonly string[] NamespaceTypes = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];

    private const int SECCOMP_GET_NOTIF_SIZES = 3;

    public static HostReport Gather(string? criuPath)
    {
        var h = new HostReport { Kernel = ReadOr("/proc/sys/kernel/osrelease", "unknown") };
        foreach (var ns in NamespaceTypes)
        {
            h.Namespaces[ns] = File.Exists($"/proc/self/ns/{ns}");
        }
        Cgroups(h);
        Probe(h);
        h.UnprivilegedUserns = ReadOr("/proc/sys/kernel/unprivileged_userns_clone", "1") != "0"
            && ReadOr("/proc/sys/user/max_user_namespaces", "0") != "0";
        h.Newuidmap = new[] { "/usr/bin/newuidmap", "/usr/sbin/newuidmap", "/bin/newuidmap" }.FirstOrDefault(File.Exists);
        h.Lsms = ReadOr("/sys/kernel/security/lsm", "").Split(',', StringSplitOptions.RemoveEmptyEntries).ToList();
        h.Criu = Criu(criuPath);
        h.Features = FeatureVerdicts.Decide(h);
        return h;
    }

    private static void Cgroups(HostReport h)
    {
        var mounts = CgroupMounts.Parse(File.ReadAllText("/proc/self/mountinfo"));
        if (File.Exists("/sys/fs/cgroup/cgroup.controllers"))
        {
            h.CgroupMode = "cgroup2";
            h.CgroupControllers = ReadOr("/sys/fs/cgroup/cgroup.controllers", "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            return;
        }
        h.CgroupMode = mounts.Any(m => m.IsV2) ? "hybrid" : "v1";
        h.CgroupControllers = mounts.Where(m => !m.IsV2).SelectMany(m => m.Controllers)
            .Where(c => !c.StartsWith("name=", StringComparison.Ordinal)).Order().ToList();
    }

    /// <summary>Each probe is a call the kernel refuses for its arguments (or a harmless one): only ENOSYS means "absent".</summary>
    private static void Probe(HostReport h)
    {
        int fd = Sys.OpenAt2(AT_FDCWD, "/", (ulong)O_PATH, 0, 0);
        h.Syscalls["openat2"] = fd >= 0;
        Sys.Close(fd);
        fixed (byte* empty = Sys.CString(""))
        {
            h.Syscalls["mount_setattr"] = Answers(Libc.syscall(SYS_mount_setattr, -1, (long)empty, 0, 0, 0));
            h.Syscalls["open_tree"] = Answers(Libc.syscall(SYS_open_tree, -1, (long)empty, 0, 0, 0));
        }
        h.Syscalls["clone3"] = Answers(Libc.syscall(SYS_clone3, 0, 0, 0, 0, 0));
        long pidfd = Libc.syscall(SYS_pidfd_open, Environment.ProcessId, 0, 0, 0, 0);
        h.Syscalls["pidfd_open"] = pidfd >= 0;
        Sys.Close((int)pidfd);
        long uffd = Libc.syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK, 0, 0, 0, 0);
        h.Syscalls["userfaultfd"] = Answers(uffd);
        Sys.Close((int)uffd);
        var sizes = stackalloc ushort[3];
        h.Syscalls["seccomp_notify"] = Libc.syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, (long)sizes, 0, 0) == 0;
    }

    private static bool Answers(long result) => result >= 0 || System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != ENOSYS;

    private static CriuFacts Criu(string? explicitPath)
    {
        var f = new CriuFacts();
        try
        {
            f.Path = CriuLocator.Find(explicitPath);
            var criu = new CriuClient(f.Path);
            f.Version = criu.Version().ToString();
            f.Check = criu.Check();
            var features = criu.FeatureCheck(memTrack: true, lazyPages: true, pidfdStore: true);
            (f.MemTrack, f.LazyPages, f.PidfdStore) = (features.MemTrack, features.LazyPages, features.PidfdStore);
        }
        catch (Exception e) when (e is ContainerException or LinuxException or IOException)
        {
            f.Error = e.Message;
        }
        return f;
    }

    private static string ReadOr(string path, string fallback)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return fallback;
        }
    }
}
