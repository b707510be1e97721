using Ocirun.Runtime.Linux;

namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// A container's cgroups on v1, v2 and hybrid hosts: one directory per hierarchy, recorded in
/// the container's state so later commands need no flags. Under the systemd driver the
/// directories are those of the container's scope unit (SystemdUnit, also recorded), which
/// systemd creates; everything else is the same as with cgroupfs.
/// </summary>
public sealed class CgroupManager(IReadOnlyDictionary<string, string> paths, string? systemdUnit = null)
{
    public IReadOnlyDictionary<string, string> Paths { get; } = paths;

    /// <summary>The scope unit of the systemd driver, or null under cgroupfs.</summary>
    public string? SystemdUnit { get; } = systemdUnit;

    /// <summary>
    /// The systemd driver: the scope's directory in every mounted hierarchy is the slice's path
    /// and the unit below each hierarchy's root, as systemd lays them out (and runc finds them).
    /// A rootless caller's scope is made by its own systemd (the session bus), below that
    /// manager's cgroup, on cgroup2 only: v1 hierarchies are not delegated to users.
    /// </summary>
    public static CgroupManager ForSystemd(string? cgroupsPath, string id, bool rootless = false)
    {
        // systemd's own sign that it is PID 1 (sd_booted), checked as runc checks it.
        if (!Directory.Exists("/run/systemd/system"))
        {
            throw new ContainerException("systemd not running on this host, cannot use systemd cgroups manager");
        }
        var unit = Cgroups.SystemdUnit.Parse(cgroupsPath, id, userManager: rootless);
        var mounts = CgroupMounts.Parse(File.ReadAllText("/proc/self/mountinfo"));
        if (rootless && !(mounts.Count == 1 && mounts[0].IsV2))
        {
            throw new ContainerException("cannot use rootless systemd cgroups manager on cgroup v1");
        }
        var below = "";
        if (rootless)
        {
            using var bus = SystemdBus.Connect(user: true);
            below = bus.ManagerProperty("ControlGroup").TrimEnd('/');
        }
        var paths = new Dictionary<string, string>();
        foreach (var m in mounts)
        {
            paths[m.Key] = m.MountPoint.TrimEnd('/') + below + unit.CgroupPath;
        }
        return new CgroupManager(paths, unit.Name) { _slice = unit.Slice, UserBus = rootless, Rootless = rootless };
    }

    /// <summary>Whether the scope is the caller's own systemd's (rootless), reached on its session bus.</summary>
    public bool UserBus { get; init; }

    private string? _slice;

    /// <summary>
    /// Asks systemd for the scope with pid in it (the container's first process, before it
    /// makes any other), waits for the job, then creates the directories of the hierarchies
    /// systemd does not manage and writes every limit, as <see cref="Prepare"/> does.
    /// </summary>
    public void StartScope(string id, int pid, Spec.Model.Resources resources)
    {
        using (var bus = SystemdBus.Connect(UserBus))
        {
            bus.StartTransientUnit(SystemdUnit!, SystemdProperties.ForScope(id, _slice!, pid, resources, IsV2Only));
        }
        foreach (var (key, dir) in Paths)
        {
            CreateDir(key, dir);
        }
        Set(resources, includeDevices: !Rootless);
    }

    /// <summary>Tells systemd the new limits too, so that it does not put the old ones back when it realizes the unit again.</summary>
    public void UpdateScope(Spec.Model.Resources resources)
    {
        if (SystemdUnit == null)
        {
            return;
        }
        using var bus = SystemdBus.Connect(UserBus);
        bus.SetUnitProperties(SystemdUnit, SystemdProperties.ForResources(resources, IsV2Only));
    }

    /// <summary>
    /// Works out the container's directory in every mounted hierarchy. An absolute cgroupsPath
    /// is taken from each hierarchy's root; a relative one (or the id, when none is given) from
    /// the runtime's own cgroup, as runc's cgroupfs driver does. A rootless caller without a
    /// cgroupsPath gets only the hierarchies it may use (<see cref="RootlessCgroups"/>).
    /// </summary>
    public static CgroupManager ForPath(string? cgroupsPath, string id, bool rootless = false)
    {
        var mounts = CgroupMounts.Parse(File.ReadAllText("/proc/self/mountinfo"));
        var own = CgroupMounts.ParseProcCgroup(File.ReadAllText("/proc/self/cgroup"));
        var paths = Resolve(mounts, own, cgroupsPath, id);
        if (!rootless)
        {
            return new CgroupManager(paths);
        }
        // With a cgroupsPath given, only a hybrid host's cgroup2 tree may be left out: it has
        // no controllers there (runc does not join it at all), and a process can only be moved
        // in it by whoever may write the cgroup.procs above both its old and new cgroup.
        var candidates = string.IsNullOrEmpty(cgroupsPath) ? paths
            : IsV2OnlyHost(paths) ? [] : paths.Where(p => p.Key == CgroupMount.V2Key).ToDictionary();
        var skipped = CallerCannotUse(candidates, mounts, own);
        if (skipped.Count > 0)
        {
            DebugLog.Write($"rootless: no permission for the container's cgroup in {string.Join(", ", skipped)}: not using {(skipped.Count == paths.Count ? "any" : "those")}");
        }
        var kept = paths.Where(p => !skipped.Contains(p.Key)).ToDictionary();
        return new CgroupManager(kept) { Rootless = true, Skipped = skipped };
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
    private static List<string> CallerCannotUse(IReadOnlyDictionary<string, string> paths, List<CgroupMount> mounts,
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

    /// <summary>Set for a rootless caller: device rules are not written (only root may), as runc ignores them.</summary>
    public bool Rootless { get; init; }

    /// <summary>Hierarchies a rootless container is not in: a limit that needs one fails in runc's words.</summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];

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
    /// Creates the directories and, for a new container (resources not null, if empty), sets
    /// the limits and the device rules before any process joins; an exec passes null.
    /// </summary>
    public void Prepare(Spec.Model.Resources? resources)
    {
        if (resources != null)
        {
            RequireUsable();
        }
        foreach (var (key, dir) in Paths)
        {
            try
            {
                CreateDir(key, dir);
            }
            catch (LinuxException e)
            {
                throw new ContainerException($"unable to apply cgroup configuration: {e.Message}");
            }
            catch (UnauthorizedAccessException)
            {
                // .NET's word for EACCES and EPERM; other errors reach the CLI's own mapping.
                throw new ContainerException($"unable to apply cgroup configuration: mkdir {dir}: permission denied");
            }
        }
        if (resources != null)
        {
            Set(resources, includeDevices: !Rootless);
        }
    }

    /// <summary>
    /// A new container may be given a cgroup that exists already (runc allows it), but not a
    /// frozen one (its init would hang in the native stage) nor one with processes in it (they
    /// would be counted, limited and killed with the container), as runc 1.3 refuses both.
    /// </summary>
    private void RequireUsable()
    {
        if (IsFrozen())
        {
            throw new ContainerException("container's cgroup unexpectedly frozen");
        }
        if (Pids() is { Count: > 0 } pids)
        {
            throw new ContainerException($"container's cgroup is not empty: {pids.Count} process(es) found");
        }
    }

    /// <summary>
    /// Moves pid into every hierarchy. Slow (see native/nsexec.c): only for processes that
    /// the native stage does not start, such as CRIU's restore worker.
    /// </summary>
    public void Join(int pid)
    {
        foreach (var dir in Paths.Values)
        {
            Sys.WriteFile(Path.Combine(dir, "cgroup.procs"), pid.ToString());
        }
    }

    public bool IsV2Only => IsV2OnlyHost(Paths);

    /// <summary>Whether a container's cgroup paths are those of a cgroup2-only host (no v1 hierarchy).</summary>
    public static bool IsV2OnlyHost(IReadOnlyDictionary<string, string> paths) =>
        paths.Count == 1 && paths.ContainsKey(CgroupMount.V2Key);

    /// <summary>Writes the limits of resources; what the host cannot do is an error, never ignored.</summary>
    public void Set(Spec.Model.Resources resources, bool includeDevices)
    {
        var writes = IsV2Only ? V2Resources.Translate(resources) : V1Resources.Translate(resources);
        if (includeDevices)
        {
            SetDevices(resources.Devices);
        }
        foreach (var w in OrderMemory(writes))
        {
            var file = Path.Combine(DirFor(w), w.File);
            if (!File.Exists(file) && w.Fallback is { } fallback)
            {
                file = Path.Combine(DirFor(w), fallback);
            }
            if (!File.Exists(file) && w.Optional)
            {
                continue;
            }
            if (!File.Exists(file))
            {
                throw new ContainerException($"{w.File} is not supported by this host's {w.Controller} cgroup");
            }
            try
            {
                Sys.WriteFile(file, w.Value);
            }
            catch (LinuxException e)
            {
                throw new ContainerException($"failed to write {w.Value} to {file}: {LinuxException.ErrnoText(e.Errno)}");
            }
        }
    }

    /// <summary>
    /// Only resources.devices and runc's default set decide access: nodes in linux.devices are
    /// created, never allowed by that alone. v1 gets the writes from the cgroup's current rules
    /// to the target; cgroup v2, which has no devices files, an eBPF program of the same rules.
    /// </summary>
    private void SetDevices(List<Spec.Model.DeviceCgroup>? rules)
    {
        var target = DeviceState.FromRules((rules ?? []).Concat(DeviceRules.Defaults));
        if (IsV2Only)
        {
            DeviceProgramLoader.Attach(Paths[CgroupMount.V2Key], DeviceProgram.Build(target.Rules()));
            return;
        }
        var dir = Paths.FirstOrDefault(p => p.Key.Split(',').Contains("devices")).Value;
        if (dir == null)
        {
            throw new ContainerException("the devices cgroup controller is not available on this host");
        }
        var current = DeviceState.Parse(File.ReadAllText(Path.Combine(dir, "devices.list")));
        foreach (var (allow, line) in current.TransitionTo(target))
        {
            var file = Path.Combine(dir, allow ? "devices.allow" : "devices.deny");
            try
            {
                Sys.WriteFile(file, line);
            }
            catch (LinuxException e)
            {
                throw new ContainerException($"failed to write {line} to {file}: {LinuxException.ErrnoText(e.Errno)}");
            }
        }
    }

    private string DirFor(CgroupWrite w) =>
        Paths.FirstOrDefault(p => Holds(p.Key, w.Controller)).Value
        ?? throw new ContainerException(Skipped.Any(k => Holds(k, w.Controller))
            ? $"cannot set {w.Controller} limit: container could not join or create cgroup"
            : $"the {w.Controller} cgroup controller is not available on this host (needed for {w.File})");

    private static bool Holds(string key, string controller) => key == controller || key.Split(',').Contains(controller);

    /// <summary>
    /// v1 refuses a memory limit above memory+swap and a memory+swap below the memory limit,
    /// so when raising both, memsw goes first.
    /// </summary>
    private IEnumerable<CgroupWrite> OrderMemory(List<CgroupWrite> writes)
    {
        var limit = writes.FirstOrDefault(w => w.File == "memory.limit_in_bytes");
        var memsw = writes.FirstOrDefault(w => w.File == "memory.memsw.limit_in_bytes");
        if (limit == null || memsw == null)
        {
            return writes;
        }
        // runc's rule: memory+swap goes first when it is lifted, or when the new memory+swap is
        // above the current memory limit (the kernel keeps limit <= memsw at every step).
        var current = Path.Combine(DirFor(limit), limit.File);
        bool raise = memsw.Value == "-1" || File.Exists(current) && long.TryParse(File.ReadAllText(current).Trim(), out var cur)
            && long.Parse(memsw.Value) > cur;
        if (!raise)
        {
            return writes;
        }
        var ordered = new List<CgroupWrite>(writes);
        ordered.Remove(memsw);
        ordered.Insert(ordered.IndexOf(limit), memsw);
        return ordered;
    }

    private static void CreateDir(string key, string dir)
    {
        Directory.CreateDirectory(dir);
        if (key.Split(',').Contains("cpuset"))
        {
            FillCpuset(dir);
        }
    }

    /// <summary>
    /// A v1 cpuset accepts no task while its cpus or mems are empty, and a new one starts empty;
    /// so does an existing parent someone else made (a pod's). Each empty level down from the
    /// nearest populated ancestor takes its parent's sets.
    /// </summary>
    private static void FillCpuset(string dir)
    {
        foreach (var f in new[] { "cpuset.cpus", "cpuset.mems" })
        {
            var file = Path.Combine(dir, f);
            if (!File.Exists(file) || File.ReadAllText(file).Trim().Length > 0)
            {
                continue;
            }
            var parent = Path.GetDirectoryName(dir)!;
            FillCpuset(parent);
            Sys.WriteFile(file, File.ReadAllText(Path.Combine(parent, f)).Trim());
        }
    }

    /// <summary>Pids in the container's cgroup, read from the first hierarchy that has it.</summary>
    public List<int> Pids()
    {
        foreach (var key in PreferredKeys())
        {
            var procs = Path.Combine(Paths[key], "cgroup.procs");
            if (File.Exists(procs))
            {
                return File.ReadAllLines(procs).Where(l => l.Length > 0).Select(int.Parse).ToList();
            }
        }
        return new List<int>();
    }

    private IEnumerable<string> PreferredKeys() =>
        Paths.Keys.OrderBy(k => k.Contains("pids") ? 0 : k.Contains("memory") ? 1 : k == CgroupMount.V2Key ? 3 : 2);

    /// <summary>Kills what is left and removes the directories; tolerates a partial state.</summary>
    private void RemoveDirs()
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            // Sub-cgroups the container made go too, their processes first, deepest directory first.
            var dirs = Paths.Values.Where(Directory.Exists).SelectMany(Subtree).ToList();
            foreach (var dir in dirs)
            {
                foreach (var pid in ProcsOf(dir))
                {
                    Interop.Libc.kill(pid, Interop.Consts.SIGKILL);
                }
            }
            bool left = false;
            foreach (var dir in dirs)
            {
                try
                {
                    Directory.Delete(dir);
                }
                catch (IOException)
                {
                    left = true;
                }
            }
            if (!left)
            {
                return;
            }
            Thread.Sleep(10);
        }
        throw new ContainerException("failed to remove cgroups: " + string.Join(" ", Paths.Values.Where(Directory.Exists)));
    }

    /// <summary>Removes the cgroups (<see cref="RemoveDirs"/>), then stops the systemd driver's scope unit.</summary>
    public void Destroy()
    {
        RemoveDirs();
        if (SystemdUnit != null)
        {
            using var bus = SystemdBus.Connect(UserBus);
            bus.StopUnit(SystemdUnit);
        }
    }

    /// <summary>dir and every cgroup below it, deepest first.</summary>
    private static IEnumerable<string> Subtree(string dir)
    {
        IEnumerable<string> below;
        try
        {
            below = Directory.GetDirectories(dir, "*", SearchOption.AllDirectories);
        }
        catch (DirectoryNotFoundException)
        {
            below = [];
        }
        return below.OrderByDescending(d => d.Count(c => c == '/')).Append(dir);
    }

    private static IEnumerable<int> ProcsOf(string dir)
    {
        try
        {
            return File.ReadAllLines(Path.Combine(dir, "cgroup.procs")).Where(l => l.Length > 0).Select(int.Parse).ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }

    public string? FreezerPath => Paths.FirstOrDefault(p => p.Key.Split(',').Contains("freezer")).Value;

    public bool IsFrozen()
    {
        var f = FreezerPath;
        if (f != null && File.Exists(Path.Combine(f, "freezer.state")))
        {
            return File.ReadAllText(Path.Combine(f, "freezer.state")).Trim() == "FROZEN";
        }
        if (Paths.TryGetValue(CgroupMount.V2Key, out var u) && File.Exists(Path.Combine(u, "cgroup.freeze")))
        {
            return File.ReadAllText(Path.Combine(u, "cgroup.freeze")).Trim() == "1";
        }
        return false;
    }
}

public static class CgroupFreezer
{
    /// <summary>Freezes the cgroup and waits until the kernel reports every task frozen.</summary>
    public static void Freeze(this CgroupManager m)
    {
        if (m.FreezerPath is { } f && File.Exists(Path.Combine(f, "freezer.state")))
        {
            var state = Path.Combine(f, "freezer.state");
            for (int i = 0; i < 1000; i++)
            {
                Sys.WriteFile(state, "FROZEN");
                if (File.ReadAllText(state).Trim() == "FROZEN")
                {
                    return;
                }
                Thread.Sleep(1);
            }
            Sys.WriteFile(state, "THAWED");
            throw new ContainerException("unable to freeze the container: tasks keep running");
        }
        if (m.Paths.TryGetValue(CgroupMount.V2Key, out var u) && File.Exists(Path.Combine(u, "cgroup.freeze")))
        {
            Sys.WriteFile(Path.Combine(u, "cgroup.freeze"), "1");
            for (int i = 0; i < 1000 && !File.ReadAllText(Path.Combine(u, "cgroup.events")).Contains("frozen 1"); i++)
            {
                Thread.Sleep(1);
            }
            return;
        }
        throw new ContainerException("cannot pause: no freezer cgroup is available");
    }

    /// <summary>Thaws the container's cgroup (v1 freezer or v2 cgroup.freeze).</summary>
    public static void Thaw(this CgroupManager m)
    {
        if (m.FreezerPath is { } f && File.Exists(Path.Combine(f, "freezer.state")))
        {
            Sys.WriteFile(Path.Combine(f, "freezer.state"), "THAWED");
        }
        else if (m.Paths.TryGetValue(CgroupMount.V2Key, out var u) && File.Exists(Path.Combine(u, "cgroup.freeze")))
        {
            Sys.WriteFile(Path.Combine(u, "cgroup.freeze"), "0");
        }
    }
}
