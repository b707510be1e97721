using Ocirun.Spec.Model;

namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// What a container's cgroups do on one kind of host: cgroup v1 hierarchies (<see cref="V1Driver"/>),
/// the cgroup2 tree alone (<see cref="V2Driver"/>), or both, as hybrid hosts have them
/// (<see cref="HybridDriver"/>). Where the directories are (cgroupfs paths or a systemd scope)
/// is decided before a driver is made; a driver only works in them.
/// </summary>
public interface ICgroupDriver
{
    /// <summary>Hierarchy key (<see cref="CgroupMount.Key"/>) to the container's directory in it, as recorded in state.</summary>
    IReadOnlyDictionary<string, string> Paths { get; }

    /// <summary>Whether the only hierarchy is cgroup2 (limits, devices and stats are cgroup2's).</summary>
    bool IsV2Only { get; }

    /// <summary>The v1 freezer's directory, for CRIU to freeze the tasks with; null without one.</summary>
    string? FreezerPath { get; }

    /// <summary>Refuses, before anything is created, resources this kind of host cannot have at all.</summary>
    void Validate(Resources? resources);

    /// <summary>Creates the directories (and whatever a new one needs before a task may join it).</summary>
    void CreateDirs();

    /// <summary>Writes the limits of resources; what the host cannot do is an error, never ignored.</summary>
    void SetLimits(Resources resources);

    /// <summary>Makes the device rules (resources.devices plus runc's defaults) the only ones allowed.</summary>
    void SetDevices(List<DeviceCgroup>? rules);

    /// <summary>The pids in the container's cgroup.</summary>
    List<int> Pids();

    bool IsFrozen();

    /// <summary>Freezes the cgroup and waits until the kernel reports every task frozen.</summary>
    void Freeze();

    void Thaw();

    Stats ReadStats();

    /// <summary>The kernel's count of OOM kills in the cgroup.</summary>
    ulong OomKills();
}

/// <summary>Picks the driver for a container's recorded paths.</summary>
public static class CgroupDriver
{
    /// <param name="skipped">Hierarchies a rootless container is not in: a limit that needs one fails in runc's words.</param>
    public static ICgroupDriver For(IReadOnlyDictionary<string, string> paths, IReadOnlyList<string>? skipped = null)
    {
        if (IsV2OnlyHost(paths))
        {
            return new V2Driver(paths[CgroupMount.V2Key]);
        }
        var v1 = new V1Driver(paths.Where(p => p.Key != CgroupMount.V2Key).ToDictionary(), skipped ?? []);
        return paths.TryGetValue(CgroupMount.V2Key, out var unified) ? new HybridDriver(v1, new V2Driver(unified)) : v1;
    }

    /// <summary>Whether a container's cgroup paths are those of a cgroup2-only host (no v1 hierarchy).</summary>
    public static bool IsV2OnlyHost(IReadOnlyDictionary<string, string> paths) =>
        paths.Count == 1 && paths.ContainsKey(CgroupMount.V2Key);
}
