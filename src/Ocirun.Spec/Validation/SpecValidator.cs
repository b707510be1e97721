using Ocirun.Spec.Known;
using Ocirun.Spec.Model;

namespace Ocirun.Spec.Validation;

/// <summary>
/// Checks a spec before anything is created, so that a bad config fails with one clear
/// message and leaves nothing behind. Each rule is a small method; the first failure wins.
/// </summary>
public static class SpecValidator
{
    public static void Validate(Model.Spec spec, bool requireProcess = true)
    {
        CheckVersion(spec.OciVersion);
        CheckRoot(spec.Root);
        if (requireProcess || spec.Process != null)
        {
            CheckProcess(spec.Process);
        }
        var ns = CheckNamespaces(spec.Linux?.Namespaces);
        CheckHostname(spec, ns);
        CheckMounts(spec.Mounts, ns);
        CheckIdMappings(spec.Linux, ns);
        CheckSysctl(spec.Linux?.Sysctl, ns);
        CheckPropagation(spec.Linux?.RootfsPropagation);
        CheckDevices(spec.Linux?.Devices);
        CheckDeviceRules(spec.Linux?.Resources?.Devices);
        CheckTimeOffsets(spec.Linux?.TimeOffsets, ns);
        CheckHooks(spec.Hooks);
        CheckSeccomp(spec.Linux?.Seccomp);
        if (spec.Linux?.Personality is { } p && p.Domain is not ("LINUX" or "LINUX32"))
        {
            throw Fail("personality", $"invalid personality domain \"{p.Domain}\"");
        }
    }

    public static void CheckSeccomp(Model.Seccomp? seccomp)
    {
        if (seccomp == null)
        {
            return;
        }
        SeccompNames.Action(seccomp.DefaultAction, seccomp.DefaultErrnoRet);
        if (seccomp.DefaultAction == "SCMP_ACT_NOTIFY")
        {
            throw Fail("seccomp", "SCMP_ACT_NOTIFY cannot be used as default action");
        }
        foreach (var arch in seccomp.Architectures ?? [])
        {
            if (!SeccompNames.Architectures.ContainsKey(arch))
            {
                throw Fail("seccomp", $"unknown seccomp architecture \"{arch}\"");
            }
        }
        foreach (var flag in seccomp.Flags ?? [])
        {
            if (!SeccompNames.Flags.ContainsKey(flag))
            {
                throw Fail("seccomp", $"seccomp flag {flag} is not known to runc");
            }
        }
        foreach (var rule in seccomp.Syscalls ?? [])
        {
            if (rule.Names.Count == 0 || rule.Names.Any(string.IsNullOrEmpty))
            {
                throw Fail("seccomp", "seccomp rule without syscall names");
            }
            SeccompNames.Action(rule.Action, rule.ErrnoRet);
            // The runtime itself writes to the agent and its parent after the filter is loaded:
            // a notified write would wait for an agent that waits for the runtime.
            if (rule.Action == "SCMP_ACT_NOTIFY" && rule.Names.Contains("write"))
            {
                throw Fail("seccomp", "SCMP_ACT_NOTIFY cannot be used for the write syscall");
            }
            foreach (var arg in rule.Args ?? [])
            {
                if (arg.Index > 5)
                {
                    throw Fail("seccomp", $"seccomp argument index {arg.Index} is out of range (0-5)");
                }
                if (!SeccompNames.Operators.ContainsKey(arg.Op))
                {
                    throw Fail("seccomp", $"unknown seccomp operator \"{arg.Op}\"");
                }
            }
        }
    }

    public static (int Major, int Minor, int Patch) CheckVersion(string version)
    {
        if (string.IsNullOrEmpty(version))
        {
            throw Fail("oci-version", "ociVersion must be set");
        }
        var core = version.Split('-', '+')[0].Split('.');
        if (core.Length != 3 || !int.TryParse(core[0], out var major) || !int.TryParse(core[1], out var minor)
            || !int.TryParse(core[2], out var patch))
        {
            throw Fail("oci-version", $"invalid ociVersion \"{version}\"");
        }
        if (major != 1)
        {
            throw Fail("oci-version", $"unsupported spec version {version}: only 1.x is supported");
        }
        return (major, minor, patch);
    }

    private static void CheckRoot(Root? root)
    {
        if (root == null || string.IsNullOrEmpty(root.Path))
        {
            throw Fail("root", "root.path must be set");
        }
    }

    public static void CheckProcess(Model.Process? process)
    {
        if (process == null)
        {
            throw Fail("process", "process must be set");
        }
        if (process.Args == null || process.Args.Count == 0 || process.Args[0].Length == 0)
        {
            throw Fail("process-args", "args must not be empty");
        }
        if (string.IsNullOrEmpty(process.Cwd) || !process.Cwd.StartsWith('/'))
        {
            throw Fail("process-cwd", $"cwd \"{process.Cwd}\" is not an absolute path");
        }
        foreach (var e in process.Env ?? [])
        {
            if (!e.Contains('=') || e.StartsWith('='))
            {
                throw Fail("process-env", $"env entry \"{e}\" is not of the form KEY=VALUE");
            }
        }
        CheckUser(process.User);
        CheckRlimits(process.Rlimits);
        if (process.IoPriority is { } io && (io.Class is not ("IOPRIO_CLASS_RT" or "IOPRIO_CLASS_BE" or "IOPRIO_CLASS_IDLE")
            || io.Priority is < 0 or > 7))
        {
            throw Fail("process-iopriority", $"invalid ioPriority {io.Class} {io.Priority}");
        }
        if (process.Scheduler is { } sch && sch.Policy is not ("SCHED_OTHER" or "SCHED_FIFO" or "SCHED_RR" or "SCHED_BATCH"
            or "SCHED_ISO" or "SCHED_IDLE" or "SCHED_DEADLINE"))
        {
            throw Fail("process-scheduler", $"invalid scheduler policy \"{sch.Policy}\"");
        }
        if (process.Scheduler?.Flags?.FirstOrDefault(f => !f.StartsWith("SCHED_FLAG_", StringComparison.Ordinal)) is { } badFlag)
        {
            throw Fail("process-scheduler", $"invalid scheduler flag \"{badFlag}\"");
        }
        CheckCpuAffinity("Initial", process.ExecCPUAffinity?.Initial);
        CheckCpuAffinity("Final", process.ExecCPUAffinity?.Final);
        if (process.OomScoreAdj is < -1000 or > 1000)
        {
            throw Fail("process-oom", $"oomScoreAdj {process.OomScoreAdj} is outside -1000..1000");
        }
    }

    /// <summary>
    /// The kernel reads (uid_t)-1 as "leave unchanged": 4294967295 would keep the process root.
    /// Like the kernel's own id checks, anything above INT_MAX is refused.
    /// </summary>
    public const uint MaxId = int.MaxValue;

    private static void CheckCpuAffinity(string which, string? list)
    {
        try
        {
            CpuList.Parse(list ?? "");
        }
        catch (FormatException e)
        {
            throw Fail("process-execcpuaffinity", $"bad CPUAffinity.{which}: {e.Message}");
        }
    }

    public static void CheckUser(User user)
    {
        CheckId("uid", user.Uid);
        CheckId("gid", user.Gid);
        foreach (var g in user.AdditionalGids ?? [])
        {
            CheckId("additional gid", g);
        }
    }

    public static void CheckId(string what, uint id)
    {
        if (id > MaxId)
        {
            throw Fail("process-user", $"invalid {what} {id}: must be at most {MaxId}");
        }
    }

    private static void CheckRlimits(List<Rlimit>? rlimits)
    {
        var seen = new HashSet<string>();
        foreach (var r in rlimits ?? [])
        {
            if (RlimitNames.Number(r.Type) < 0)
            {
                throw Fail("rlimit-type", $"unknown rlimit type \"{r.Type}\"");
            }
            if (!seen.Add(r.Type))
            {
                throw Fail("rlimit-duplicate", $"duplicate rlimit type {r.Type}");
            }
            if (r.Soft > r.Hard)
            {
                throw Fail("rlimit-soft", $"rlimit {r.Type}: soft {r.Soft} is greater than hard {r.Hard}");
            }
        }
    }

    private static Dictionary<string, Namespace> CheckNamespaces(List<Namespace>? namespaces)
    {
        var seen = new Dictionary<string, Namespace>();
        foreach (var n in namespaces ?? [])
        {
            if (!NamespaceTypes.IsKnown(n.Type))
            {
                throw Fail("namespace-type", $"unknown namespace type \"{n.Type}\"");
            }
            if (!seen.TryAdd(n.Type, n))
            {
                throw Fail("namespace-duplicate", $"duplicate namespace {n.Type}");
            }
            if (n.Path is { Length: > 0 } p && !p.StartsWith('/'))
            {
                throw Fail("namespace-path", $"namespace {n.Type} path \"{p}\" is not absolute");
            }
        }
        return seen;
    }

    private static void CheckHostname(Model.Spec spec, Dictionary<string, Namespace> ns)
    {
        if (!string.IsNullOrEmpty(spec.Hostname) && !ns.ContainsKey(NamespaceTypes.Uts))
        {
            throw Fail("hostname-uts", "unable to set hostname without a private UTS namespace");
        }
        if (!string.IsNullOrEmpty(spec.Domainname) && !ns.ContainsKey(NamespaceTypes.Uts))
        {
            throw Fail("hostname-uts", "unable to set domainname without a private UTS namespace");
        }
    }

    private static void CheckMounts(List<Model.Mount>? mounts, Dictionary<string, Namespace> ns)
    {
        foreach (var m in mounts ?? [])
        {
            if (string.IsNullOrEmpty(m.Destination))
            {
                throw Fail("mount-destination", "mount destination must be set");
            }
            CheckIdmapMount(m, ns.ContainsKey(NamespaceTypes.User));
        }
    }

    /// <summary>
    /// Idmapped mounts (runtime-spec 1.1, runc's rules): binds only; mappings on the mount or,
    /// with a user namespace, the container's implied; both uid and gid ones when given.
    /// </summary>
    private static void CheckIdmapMount(Model.Mount m, bool userNamespace)
    {
        var options = m.Options ?? [];
        bool explicitMaps = m.UidMappings != null || m.GidMappings != null;
        if (!explicitMaps && !options.Contains("idmap") && !options.Contains("ridmap"))
        {
            return;
        }
        string Invalid(string why) => $"invalid mount {m.Destination}: {why}";
        if (!options.Contains("bind") && !options.Contains("rbind"))
        {
            throw Fail("mount-idmap", Invalid("id-mapped mounts are only supported for bind-mounts"));
        }
        if ((explicitMaps || !userNamespace) && (m.UidMappings is not { Count: > 0 } || m.GidMappings is not { Count: > 0 }))
        {
            throw Fail("mount-idmap", Invalid("id-mapped mounts must have both uid and gid mappings specified"));
        }
        foreach (var map in (m.UidMappings ?? []).Concat(m.GidMappings ?? []))
        {
            CheckId("mount mapping host id", map.HostId);
            CheckId("mount mapping container id", map.ContainerId);
        }
    }

    private static void CheckIdMappings(Model.Linux? linux, Dictionary<string, Namespace> ns)
    {
        bool hasMaps = (linux?.UidMappings?.Count ?? 0) > 0 || (linux?.GidMappings?.Count ?? 0) > 0;
        ns.TryGetValue(NamespaceTypes.User, out var user);
        if (hasMaps && user == null)
        {
            throw Fail("userns-mappings", "user namespace mappings specified, but user namespace isn't enabled");
        }
        if (user != null && string.IsNullOrEmpty(user.Path)
            && ((linux?.UidMappings?.Count ?? 0) == 0 || (linux?.GidMappings?.Count ?? 0) == 0))
        {
            throw Fail("userns-mappings", "user namespace enabled, but no mappings found");
        }
        foreach (var m in (linux?.UidMappings ?? []).Concat(linux?.GidMappings ?? []))
        {
            if (m.Size == 0)
            {
                throw Fail("userns-mappings", "id mapping size must be greater than 0");
            }
            if (m.ContainerId > MaxId || m.HostId > MaxId || (ulong)m.ContainerId + m.Size > uint.MaxValue
                || (ulong)m.HostId + m.Size > uint.MaxValue)
            {
                throw Fail("userns-mappings",
                    $"invalid id mapping {m.ContainerId} {m.HostId} {m.Size}: ids must be at most {MaxId} and ranges end below 4294967295");
            }
        }
    }

    private static void CheckSysctl(Dictionary<string, string>? sysctl, Dictionary<string, Namespace> ns)
    {
        foreach (var key in (sysctl ?? new()).Keys)
        {
            if (key.Contains("..") || key.Contains('/') && key.Contains('.'))
            {
                throw Fail("sysctl", $"sysctl \"{key}\" is not a valid name");
            }
            var needs = SysctlNamespace(key);
            if (needs == null)
            {
                throw Fail("sysctl", $"sysctl \"{key}\" is not in a separate kernel namespace");
            }
            if (!ns.ContainsKey(needs))
            {
                throw Fail("sysctl", $"sysctl \"{key}\" is not allowed as it conflicts with the OCI {needs} namespace");
            }
        }
    }

    /// <summary>The namespace a sysctl belongs to, or null when it is host-wide.</summary>
    public static string? SysctlNamespace(string key)
    {
        var k = key.Replace('/', '.');
        if (k.StartsWith("net.", StringComparison.Ordinal))
        {
            return NamespaceTypes.Network;
        }
        if (k.StartsWith("fs.mqueue.", StringComparison.Ordinal)
            || k is "kernel.msgmax" or "kernel.msgmnb" or "kernel.msgmni" or "kernel.sem" or "kernel.shmall"
                or "kernel.shmmax" or "kernel.shmmni" or "kernel.shm_rmid_forced")
        {
            return NamespaceTypes.Ipc;
        }
        if (k is "kernel.hostname" or "kernel.domainname")
        {
            return NamespaceTypes.Uts;
        }
        return null;
    }

    private static void CheckPropagation(string? propagation)
    {
        if (string.IsNullOrEmpty(propagation))
        {
            return;
        }
        if (propagation is not ("shared" or "slave" or "private" or "unbindable" or "rshared" or "rslave"
            or "rprivate" or "runbindable"))
        {
            throw Fail("rootfs-propagation", $"invalid rootfsPropagation \"{propagation}\"");
        }
    }

    private static void CheckDevices(List<Device>? devices)
    {
        foreach (var d in devices ?? [])
        {
            if (d.Type is not ("c" or "b" or "u" or "p"))
            {
                throw Fail("device-type", $"device {d.Path}: invalid type \"{d.Type}\"");
            }
            if (!d.Path.StartsWith("/dev/", StringComparison.Ordinal) && d.Path != "/dev" || d.Path.Split('/').Contains(".."))
            {
                throw Fail("device-path", $"device path \"{d.Path}\" is not under /dev");
            }
        }
    }

    /// <summary>linux.resources.devices: the types and access letters the devices cgroup knows.</summary>
    public static void CheckDeviceRules(List<DeviceCgroup>? rules)
    {
        foreach (var r in rules ?? [])
        {
            if (r.Type is not (null or "" or "a" or "b" or "c"))
            {
                throw Fail("device-rule", $"invalid device type \"{r.Type}\" in linux.resources.devices");
            }
            if (r.Access is { } a && a.Any(c => c is not ('r' or 'w' or 'm')))
            {
                throw Fail("device-rule", $"invalid device access \"{a}\" in linux.resources.devices");
            }
        }
    }

    private static void CheckTimeOffsets(Dictionary<string, TimeOffset>? offsets, Dictionary<string, Namespace> ns)
    {
        if (offsets == null || offsets.Count == 0)
        {
            return;
        }
        if (!ns.TryGetValue(NamespaceTypes.Time, out var time) || !string.IsNullOrEmpty(time.Path))
        {
            throw Fail("time-offsets", "timeOffsets need a new time namespace");
        }
        foreach (var key in offsets.Keys)
        {
            if (key is not ("boottime" or "monotonic"))
            {
                throw Fail("time-offsets", $"unknown clock \"{key}\" in timeOffsets");
            }
        }
    }

    private static void CheckHooks(Hooks? hooks)
    {
        var all = new[] { hooks?.Prestart, hooks?.CreateRuntime, hooks?.CreateContainer, hooks?.StartContainer,
            hooks?.Poststart, hooks?.Poststop };
        foreach (var h in all.Where(l => l != null).SelectMany(l => l!))
        {
            if (!h.Path.StartsWith('/'))
            {
                throw Fail("hook-path", $"hook path \"{h.Path}\" is not absolute");
            }
            if (h.Timeout is <= 0)
            {
                throw Fail("hook-timeout", $"hook {h.Path}: timeout must be positive");
            }
        }
    }

    private static SpecValidationException Fail(string rule, string message) => new(rule, message);
}
