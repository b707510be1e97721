using Ocirun.Runtime.Linux;
using Ocirun.Spec.Model;

namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// A container's directories in cgroup v1 hierarchies, one per mounted hierarchy (a key names
/// its controllers, co-mounted ones joined by commas).
/// </summary>
public sealed class V1Driver(IReadOnlyDictionary<string, string> paths, IReadOnlyList<string> skipped) : ICgroupDriver
{
    public IReadOnlyDictionary<string, string> Paths { get; } = paths;

    public bool IsV2Only => false;

    /// <summary>`unified` is for cgroup2-only hosts: here the controllers it names are v1's, so runc refuses it.</summary>
    public void Validate(Resources? resources) => V1Resources.RefuseUnified(resources);

    public void CreateDirs()
    {
        foreach (var (key, dir) in Paths)
        {
            CgroupFiles.MakeDir(dir);
            if (Holds(key, "cpuset"))
            {
                FillCpuset(dir);
            }
        }
    }

    public void SetLimits(Resources resources)
    {
        foreach (var w in OrderMemory(V1Resources.Translate(resources)))
        {
            CgroupFiles.Write(w, DirFor(w));
        }
    }

    /// <summary>The writes from the devices cgroup's current rules to the target, as the kernel keeps them in devices.list.</summary>
    public void SetDevices(List<DeviceCgroup>? rules)
    {
        var dir = Dir("devices") ?? throw new ContainerException("the devices cgroup controller is not available on this host");
        var current = DeviceState.Parse(File.ReadAllText(Path.Combine(dir, "devices.list")));
        foreach (var (allow, line) in current.TransitionTo(DeviceRules.Target(rules)))
        {
            CgroupFiles.WriteRule(Path.Combine(dir, allow ? "devices.allow" : "devices.deny"), line);
        }
    }

    /// <summary>Read from the first hierarchy that has the cgroup, pids and memory first (always per-container).</summary>
    public List<int> Pids()
    {
        foreach (var key in Paths.Keys.OrderBy(k => k.Contains("pids") ? 0 : k.Contains("memory") ? 1 : 2))
        {
            if (File.Exists(Path.Combine(Paths[key], "cgroup.procs")))
            {
                return CgroupFiles.Procs(Paths[key]);
            }
        }
        return [];
    }

    public string? FreezerPath => Paths.FirstOrDefault(p => Holds(p.Key, "freezer")).Value;

    /// <summary>Whether there is a freezer hierarchy with the container's cgroup in it.</summary>
    public bool CanFreeze => FreezerPath is { } f && File.Exists(Path.Combine(f, "freezer.state"));

    public bool IsFrozen() => CanFreeze && File.ReadAllText(Path.Combine(FreezerPath!, "freezer.state")).Trim() == "FROZEN";

    public void Freeze()
    {
        if (!CanFreeze)
        {
            throw new ContainerException("cannot pause: no freezer cgroup is available");
        }
        var state = Path.Combine(FreezerPath!, "freezer.state");
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

    public void Thaw()
    {
        if (CanFreeze)
        {
            Sys.WriteFile(Path.Combine(FreezerPath!, "freezer.state"), "THAWED");
        }
    }

    public Stats ReadStats() => StatsReader.ReadV1(c => Dir(c) is { } d && Directory.Exists(d) ? d : null);

    public ulong OomKills() => StatsReader.OomKillsV1(Dir("memory") is { } d && Directory.Exists(d) ? d : null);

    private string? Dir(string controller) => Paths.FirstOrDefault(p => Holds(p.Key, controller)).Value;

    private string DirFor(CgroupWrite w) =>
        Dir(w.Controller)
        ?? throw new ContainerException(skipped.Any(k => Holds(k, w.Controller))
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
}
