namespace Ocirun.Runtime.HostCheck;

/// <summary>
/// Which ocirun features work on a host with these facts, and why not where they do not.
/// Pure: unit-tested with made-up hosts.
/// </summary>
public static class FeatureVerdicts
{
    /// <summary>The kernel from which CRIU before 4.2 cannot dump TCP sockets (SO_PASSCRED is refused on them).</summary>
    private static readonly Version TcpPassCredKernel = new(6, 16);

    public static List<FeatureVerdict> Decide(HostReport h)
    {
        var v = new List<FeatureVerdict>();
        var missingNs = new[] { "mnt", "pid", "net", "ipc", "uts" }.Where(n => !h.Namespaces.GetValueOrDefault(n)).ToList();
        v.Add(missingNs.Count == 0 && h.CgroupControllers.Count > 0
            ? new("run", true)
            : new("run", false, missingNs.Count > 0 ? $"the kernel lacks namespaces: {string.Join(", ", missingNs)}" : "no cgroup controller is mounted"));
        v.Add(!h.Namespaces.GetValueOrDefault("user") ? new("rootless", false, "the kernel has no user namespaces")
            : !h.UnprivilegedUserns ? new("rootless", false, "users may not create user namespaces here (kernel.unprivileged_userns_clone or user.max_user_namespaces is 0)")
            : new("rootless", true));
        v.Add(!v[^1].Works ? v[^1] with { Name = "rootless id ranges" }
            : h.Newuidmap == null ? new("rootless id ranges", false, "newuidmap/newgidmap are not installed (Debian: uidmap), so only the user's own id can be mapped")
            : new("rootless id ranges", true));
        v.Add(h.Namespaces.GetValueOrDefault("user") ? new("user namespaces", true) : new("user namespaces", false, "the kernel has no user namespaces"));
        v.Add(h.Namespaces.GetValueOrDefault("time") ? new("time namespace", true) : new("time namespace", false, "the kernel has no time namespaces (Linux 5.6+)"));
        v.Add(h.Syscalls.GetValueOrDefault("mount_setattr") && h.Syscalls.GetValueOrDefault("open_tree")
            ? new("idmapped mounts", true) : new("idmapped mounts", false, "the kernel lacks mount_setattr/open_tree (Linux 5.12+)"));
        v.Add(h.Syscalls.GetValueOrDefault("seccomp_notify")
            ? new("seccomp notify", true) : new("seccomp notify", false, "the kernel has no seccomp user notification (Linux 5.0+)"));
        v.Add(h.CgroupMode == "cgroup2"
            ? new("cgroup v1 limits", false, "this host has no v1 hierarchies (cgroup2 only)")
            : h.CgroupControllers.Count > 0 ? new("cgroup v1 limits", true) : new("cgroup v1 limits", false, "no v1 controller is mounted"));
        v.Add(h.CgroupMode == "cgroup2" && h.CgroupControllers.Count > 0
            ? new("cgroup v2 limits", true)
            : new("cgroup v2 limits", false, h.CgroupMode == "hybrid"
                ? "the controllers are on v1 hierarchies; the cgroup2 tree has none (hybrid host)"
                : "no cgroup2 tree with controllers"));
        var checkpoint = Checkpoint(h);
        v.Add(checkpoint);
        v.Add(checkpoint.Works ? new("file locks", true) : checkpoint with { Name = "file locks" });
        v.Add(!checkpoint.Works ? checkpoint with { Name = "pre-dump" }
            : h.Criu.MemTrack == true ? new("pre-dump", true)
            : new("pre-dump", false, "the kernel does not track dirty memory (no soft-dirty), so CRIU cannot make incremental checkpoints"));
        v.Add(!checkpoint.Works ? checkpoint with { Name = "lazy migration" }
            : h.Criu.LazyPages == true ? new("lazy migration", true)
            : new("lazy migration", false, "CRIU cannot use userfaultfd here (lazy pages)"));
        v.Add(!checkpoint.Works ? checkpoint with { Name = "tcp established" }
            : TcpBlocked(h) ? new("tcp established", false, $"CRIU {h.Criu.Version} cannot dump TCP sockets on Linux {TcpPassCredKernel}+; CRIU 4.2 can")
            : new("tcp established", true));
        return v;
    }

    private static FeatureVerdict Checkpoint(HostReport h) =>
        h.Criu.Path == null ? new("checkpoint", false, h.Criu.Error ?? "criu not found")
        : h.Criu.Check != true ? new("checkpoint", false, $"`criu check` fails with {h.Criu.Path}" + (h.Criu.Error is { } e ? $": {e}" : ""))
        : new("checkpoint", true);

    private static bool TcpBlocked(HostReport h) =>
        KernelVersion(h.Kernel) >= TcpPassCredKernel && Version.TryParse(h.Criu.Version?.Split(' ')[0], out var criu) && criu < new Version(4, 2);

    /// <summary>"6.18.0-12-amd64" → 6.18.</summary>
    public static Version KernelVersion(string release)
    {
        var parts = release.Split('.', '-');
        return parts.Length >= 2 && int.TryParse(parts[0], out var major) && int.TryParse(parts[1], out var minor)
            ? new Version(major, minor) : new Version(0, 0);
    }
}
