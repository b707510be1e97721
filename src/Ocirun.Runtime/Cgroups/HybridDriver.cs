using Ocirun.Spec.Model;

namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// A hybrid host's container: v1 hierarchies hold every controller, and the cgroup2 tree (no
/// controllers) only places the process, for systemd and tools that look there. Limits, devices
/// and stats are v1's; pause uses the v1 freezer, or cgroup2's cgroup.freeze without one.
/// </summary>
public sealed class HybridDriver(V1Driver v1, V2Driver unified) : ICgroupDriver
{
    public IReadOnlyDictionary<string, string> Paths { get; } =
        v1.Paths.Append(new(CgroupMount.V2Key, unified.Dir)).ToDictionary();

    public bool IsV2Only => false;

    public string? FreezerPath => v1.FreezerPath;

    public void Validate(Resources? resources) => v1.Validate(resources);

    public void CreateDirs()
    {
        v1.CreateDirs();
        unified.CreateDirs();
    }

    public void SetLimits(Resources resources) => v1.SetLimits(resources);

    public void SetDevices(List<DeviceCgroup>? rules) => v1.SetDevices(rules);

    public List<int> Pids() => v1.Pids() is { Count: > 0 } pids ? pids : unified.Pids();

    private ICgroupDriver Freezer => v1.CanFreeze ? v1 : unified;

    public bool IsFrozen() => Freezer.IsFrozen();

    public void Freeze() => Freezer.Freeze();

    public void Thaw() => Freezer.Thaw();

    public Stats ReadStats() => v1.ReadStats();

    public ulong OomKills() => v1.OomKills();
}
