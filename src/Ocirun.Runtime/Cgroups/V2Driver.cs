using Ocirun.Spec.Model;

namespace Ocirun.Runtime.Cgroups;

/// <summary>A container's directory in the cgroup2 tree: limits, an eBPF device program, cgroup.freeze.</summary>
public sealed class V2Driver(string dir) : ICgroupDriver
{
    public string Dir { get; } = dir;

    public IReadOnlyDictionary<string, string> Paths { get; } = new Dictionary<string, string> { [CgroupMount.V2Key] = dir };

    public bool IsV2Only => true;

    public string? FreezerPath => null;

    public void Validate(Resources? resources)
    {
    }

    public void CreateDirs() => CgroupFiles.MakeDir(Dir);

    public void SetLimits(Resources resources)
    {
        foreach (var w in V2Resources.Translate(resources))
        {
            CgroupFiles.Write(w, Dir);
        }
    }

    /// <summary>cgroup2 has no devices files: the rules become an eBPF program attached to the directory.</summary>
    public void SetDevices(List<DeviceCgroup>? rules) =>
        DeviceProgramLoader.Attach(Dir, DeviceProgram.Build(DeviceRules.Target(rules).Rules()));

    public List<int> Pids() => File.Exists(Path.Combine(Dir, "cgroup.procs")) ? CgroupFiles.Procs(Dir) : [];

    /// <summary>Whether the kernel has cgroup.freeze here (5.2+), so that pause works.</summary>
    public bool CanFreeze => File.Exists(Path.Combine(Dir, "cgroup.freeze"));

    public bool IsFrozen() => CanFreeze && File.ReadAllText(Path.Combine(Dir, "cgroup.freeze")).Trim() == "1";

    public void Freeze()
    {
        if (!CanFreeze)
        {
            throw new ContainerException("cannot pause: no freezer cgroup is available");
        }
        Linux.Sys.WriteFile(Path.Combine(Dir, "cgroup.freeze"), "1");
        for (int i = 0; i < 1000 && !File.ReadAllText(Path.Combine(Dir, "cgroup.events")).Contains("frozen 1"); i++)
        {
            Thread.Sleep(1);
        }
    }

    public void Thaw()
    {
        if (CanFreeze)
        {
            Linux.Sys.WriteFile(Path.Combine(Dir, "cgroup.freeze"), "0");
        }
    }

    public Stats ReadStats() => StatsReader.ReadV2(Dir);

    public ulong OomKills() => StatsReader.OomKillsV2(Dir);
}
