using Ocirun.Runtime.Linux;

namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// A container's cgroups: where they are (the cgroupfs paths, or the systemd driver's scope,
/// worked out here and recorded in the container's state so later commands need no flags) and
/// what is done in them, by the host's <see cref="ICgroupDriver"/>.
/// </summary>
public sealed class CgroupManager
{
    public CgroupManager(IReadOnlyDictionary<string, string> paths, SystemdScope? scope = null, IReadOnlyList<string>? skipped = null)
    {
        Driver = CgroupDriver.For(paths, skipped);
        Scope = scope;
    }

    /// <summary>The cgroups of a container as its state records them.</summary>
    public static CgroupManager Of(State.ContainerRecord r) =>
        new(r.CgroupPaths, r.SystemdUnit is { } unit ? new SystemdScope(unit, null, r.SystemdUserBus) : null);

    public ICgroupDriver Driver { get; }

    public IReadOnlyDictionary<string, string> Paths => Driver.Paths;

    /// <summary>The systemd driver's scope unit, or null under cgroupfs.</summary>
    public SystemdScope? Scope { get; }

    /// <summary>
    /// The systemd driver: the scope's directory in every mounted hierarchy is the slice's path
    /// and the unit below each hierarchy's root, as systemd lays them out (and runc finds them).
    /// A rootless caller's scope is made by its own systemd (the session bus), below that
    /// manager's cgroup, on cgroup2 only: v1 hierarchies are not delegated to users.
    /// </summary>
    public static CgroupManager ForSystemd(string? cgroupsPath, string id, bool rootless = false,
        IReadOnlyDictionary<string, string>? annotations = null)
    {
        // systemd's own sign that it is PID 1 (sd_booted), checked as runc checks it.
        if (!Directory.Exists("/run/systemd/system"))
        {
            throw new ContainerException("systemd not running on this host, cannot use systemd cgroups manager");
        }
        var unit = SystemdUnit.Parse(cgroupsPath, id, userManager: rootless);
        var extra = SystemdAnnotations.Parse(annotations);
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
        return new CgroupManager(paths, new SystemdScope(unit.Name, unit.Slice, rootless, extra)) { Rootless = rootless };
    }

    /// <summary>
    /// Asks systemd for the scope with pid in it (the container's first process, before it
    /// makes any other), waits for the job, then creates the directories of the hierarchies
    /// systemd does not manage and writes every limit, as <see cref="Prepare"/> does.
    /// </summary>
    /// <param name="create">For a new container: systemd's refusal then carries runc's "unable to
    /// apply cgroup configuration: " (a restore's is systemd's alone, as runc's).</param>
    public void StartScope(string id, int pid, Spec.Model.Resources resources, bool create = false)
    {
        try
        {
            Scope!.Start(id, pid, resources, Driver.IsV2Only);
        }
        catch (ContainerException e) when (create)
        {
            throw new ContainerException($"unable to apply cgroup configuration: {e.Message}");
        }
        CreateDirs();
        Set(resources, includeDevices: !Rootless);
    }

    /// <summary>The directories, a system error in runc's words (a refused mkdir already is).</summary>
    private void CreateDirs()
    {
        try
        {
            Driver.CreateDirs();
        }
        catch (LinuxException e)
        {
            throw new ContainerException($"unable to apply cgroup configuration: {e.Message}");
        }
    }

    /// <summary>Writes new limits (never device rules, as runc's update), and tells a systemd scope too.</summary>
    public void Update(Spec.Model.Resources resources)
    {
        Driver.SetLimits(resources);
        Scope?.Update(resources, Driver.IsV2Only);
    }

    /// <summary>
    /// The cgroupfs driver: directories where <see cref="CgroupPlacement.Resolve"/> puts them. A
    /// rootless caller without a cgroupsPath gets only the hierarchies it may use (<see cref="RootlessCgroups"/>).
    /// </summary>
    public static CgroupManager ForPath(string? cgroupsPath, string id, bool rootless = false)
    {
        var mounts = CgroupMounts.Parse(File.ReadAllText("/proc/self/mountinfo"));
        var own = CgroupMounts.ParseProcCgroup(File.ReadAllText("/proc/self/cgroup"));
        var paths = CgroupPlacement.Resolve(mounts, own, cgroupsPath, id);
        if (!rootless)
        {
            return new CgroupManager(paths);
        }
        // With a cgroupsPath given, only a hybrid host's cgroup2 tree may be left out: it has
        // no controllers there (runc does not join it at all), and a process can only be moved
        // in it by whoever may write the cgroup.procs above both its old and new cgroup.
        var candidates = string.IsNullOrEmpty(cgroupsPath) ? paths
            : CgroupDriver.IsV2OnlyHost(paths) ? [] : paths.Where(p => p.Key == CgroupMount.V2Key).ToDictionary();
        var skipped = CgroupPlacement.CallerCannotUse(candidates, mounts, own);
        if (skipped.Count > 0)
        {
            DebugLog.Write($"rootless: no permission for the container's cgroup in {string.Join(", ", skipped)}: not using {(skipped.Count == paths.Count ? "any" : "those")}");
        }
        var kept = paths.Where(p => !skipped.Contains(p.Key)).ToDictionary();
        return new CgroupManager(kept, skipped: skipped) { Rootless = true };
    }

    /// <summary>Set for a rootless caller: device rules are not written (only root may), as runc ignores them.</summary>
    public bool Rootless { get; init; }

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
        CreateDirs();
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
        var pids = Driver.Pids();
        _othersInside = pids.Count > 0;
        if (Driver.IsFrozen())
        {
            throw new ContainerException("container's cgroup unexpectedly frozen");
        }
        if (_othersInside)
        {
            throw new ContainerException($"container's cgroup is not empty: {pids.Count} process(es) found");
        }
    }

    // Processes were in the cgroup before this container: the failed create that found them
    // leaves them and their cgroup alone, as runc does (Destroy would kill them).
    private bool _othersInside;

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

    /// <summary>Writes the limits of resources and, for a new container, its device rules.</summary>
    public void Set(Spec.Model.Resources resources, bool includeDevices)
    {
        if (includeDevices)
        {
            Driver.SetDevices(resources.Devices);
        }
        Driver.SetLimits(resources);
    }

    /// <summary>Removes the cgroups (killing what is left in them), then stops the systemd driver's scope unit.</summary>
    public void Destroy()
    {
        if (_othersInside)
        {
            return;
        }
        CgroupFiles.RemoveTrees(Paths.Values.ToList());
        Scope?.Stop();
    }
}
