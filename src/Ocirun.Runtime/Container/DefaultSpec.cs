using Ocirun.Spec.Model;

namespace Ocirun.Runtime.Container;

/// <summary>The config.json that `spec` writes: a busybox-friendly container with the usual mounts.</summary>
public static class DefaultSpec
{
    public const string SpecVersion = "1.3.0";

    /// <summary>
    /// The default spec. `spec` asks for a cgroup namespace only where /sys/fs/cgroup is cgroup2
    /// (runc 1.2's rule): on v1 and hybrid hosts its default has none.
    /// </summary>
    public static Spec.Model.Spec Create(bool cgroupNamespace = true)
    {
        var s = CreateBase();
        if (!cgroupNamespace)
        {
            s.Linux!.Namespaces!.RemoveAll(n => n.Type == "cgroup");
        }
        return s;
    }

    /// <summary>Whether /sys/fs/cgroup is the cgroup2 tree itself (a unified host), as runc checks it.</summary>
    public static bool HostIsCgroup2Only() => File.Exists("/sys/fs/cgroup/cgroup.controllers");

    private static Spec.Model.Spec CreateBase() => new()
    {
        OciVersion = SpecVersion,
        Root = new Root { Path = "rootfs", Readonly = true },
        Hostname = "ocirun",
        Process = new Spec.Model.Process
        {
            Terminal = true,
            User = new User { Uid = 0, Gid = 0 },
            Args = ["sh"],
            Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            Cwd = "/",
            Capabilities = new Capabilities
            {
                Bounding = DefaultCaps(), Effective = DefaultCaps(), Permitted = DefaultCaps(),
            },
            Rlimits = [new Rlimit { Type = "RLIMIT_NOFILE", Hard = 1024, Soft = 1024 }],
            NoNewPrivileges = true,
        },
        Mounts =
        [
            M("/proc", "proc", "proc"),
            M("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
            M("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
            M("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
            M("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
            M("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
            M("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro"),
        ],
        Linux = new Spec.Model.Linux
        {
            Resources = new Resources { Devices = [new DeviceCgroup { Allow = false, Access = "rwm" }] },
            Namespaces = new[] { "pid", "network", "ipc", "uts", "mount", "cgroup" }
                .Select(t => new Namespace { Type = t }).ToList(),
            MaskedPaths =
            [
                "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
            ],
            ReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    };

    /// <summary>
    /// The rootless variant, as runc's: a user namespace mapping the caller, no cgroup or network
    /// namespace of its own, /sys bound from the host; the cgroup mount stays (read-only).
    /// </summary>
    public static Spec.Model.Spec Rootless(uint uid, uint gid)
    {
        var s = Create();
        var linux = s.Linux!;
        linux.Resources = null;
        linux.Namespaces = linux.Namespaces!.Where(n => n.Type is not ("network" or "cgroup")).ToList();
        linux.Namespaces.Add(new Namespace { Type = "user" });
        linux.UidMappings = [new IdMapping { ContainerId = 0, HostId = uid, Size = 1 }];
        linux.GidMappings = [new IdMapping { ContainerId = 0, HostId = gid, Size = 1 }];
        var mounts = s.Mounts!;
        var sys = mounts.First(m => m.Destination == "/sys");
        sys.Type = "none";
        sys.Source = "/sys";
        sys.Options = ["rbind", "nosuid", "noexec", "nodev", "ro"];
        foreach (var m in mounts.Where(m => m.Destination is "/dev/pts"))
        {
            m.Options!.Remove("gid=5");
        }
        return s;
    }

    private static List<string> DefaultCaps() => ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

    private static Mount M(string dest, string type, string source, params string[] options) =>
        new() { Destination = dest, Type = type, Source = source, Options = options.Length > 0 ? options.ToList() : null };
}
