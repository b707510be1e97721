namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// The systemd driver's part: the container's transient scope unit, which systemd creates
/// (with the container's first process in it), keeps the limits of, and stops. The cgroup
/// directories are then worked in by the host's driver as under cgroupfs.
/// </summary>
/// <param name="Unit">The scope's name.</param>
/// <param name="Slice">Its slice; null for a scope recorded in state, which only Update and Stop use.</param>
/// <param name="UserBus">Whether the scope is the caller's own systemd's (rootless), reached on its session bus.</param>
/// <param name="Extra">The spec's own unit properties (<see cref="SystemdAnnotations"/>), sent after the driver's.</param>
public sealed record SystemdScope(string Unit, string? Slice, bool UserBus, IReadOnlyList<SystemdProperty>? Extra = null)
{
    /// <summary>Asks systemd for the scope with pid in it and waits for the job.</summary>
    public void Start(string id, int pid, Spec.Model.Resources resources, bool v2)
    {
        using var bus = SystemdBus.Connect(UserBus);
        bus.StartTransientUnit(Unit, [.. SystemdProperties.ForUnit(id, Unit, Slice!, pid, resources, v2), .. Extra ?? []]);
    }

    /// <summary>Tells systemd the new limits too, so that it does not put the old ones back when it realizes the unit again.</summary>
    public void Update(Spec.Model.Resources resources, bool v2)
    {
        using var bus = SystemdBus.Connect(UserBus);
        bus.SetUnitProperties(Unit, SystemdProperties.ForResources(resources, v2));
    }

    public void Stop()
    {
        using var bus = SystemdBus.Connect(UserBus);
        bus.StopUnit(Unit);
    }
}
