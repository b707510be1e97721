using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Rootfs;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// The mounts CRIU must treat as external, keyed by their destination inside the container:
/// bind mounts, files masked with /dev/null, device nodes bound from the host, and v1 cgroup
/// binds. Pure, so dump and restore agree by construction.
/// </summary>
public static class CriuMounts
{
    /// <summary>
    /// Dump: mount point in the container → the name the images record. resolve gives where a
    /// destination really is inside the rootfs (through its symlinks: a bind at /conf -> /real/conf
    /// is mounted at /real/conf, and only that path is a mount point CRIU knows).
    /// </summary>
    public static List<ExtMountMap> ForDump(Spec.Model.Spec spec, Func<string, bool> isFileInContainer,
        IReadOnlyDictionary<string, string> cgroupPaths, Func<string, string>? resolve = null) =>
        Collect(spec, isFileInContainer, cgroupPaths)
            .Select(m => new ExtMountMap { Key = resolve?.Invoke(m.Dest) ?? m.Dest, Val = m.Name }).ToList();

    /// <summary>
    /// Restore: recorded name → what to mount there now (on a new host, a new bundle; bind
    /// sources are absolute, see Containers.LoadSpec). Which masked paths were files is known
    /// only while the container runs, so a restore maps the shared /dev/null name whenever
    /// there are masked paths at all.
    /// </summary>
    public static List<ExtMountMap> ForRestore(Spec.Model.Spec spec, IReadOnlyDictionary<string, string> cgroupPaths) =>
        Collect(spec, path => spec.Linux?.MaskedPaths?.Count > 0 && path == MountPlanner.Normalize(spec.Linux.MaskedPaths[0]), cgroupPaths)
            .Select(m => new ExtMountMap { Key = m.Name, Val = m.Source }).DistinctBy(m => m.Key).ToList();

    private static IEnumerable<(string Dest, string Name, string Source)> Collect(Spec.Model.Spec spec, Func<string, bool> isFileInContainer,
        IReadOnlyDictionary<string, string> cgroupPaths)
    {
        bool userNs = spec.Linux?.Namespaces?.Any(n => n.Type == "user") == true;
        bool cgroupNs = spec.Linux?.Namespaces?.Any(n => n.Type == "cgroup") == true;
        foreach (var m in spec.Mounts ?? [])
        {
            var dest = MountPlanner.Normalize(m.Destination);
            if (MountOptions.Parse(m.Options).Bind)
            {
                yield return (dest, dest, m.Source ?? dest);
            }
            else if (m.Type == "cgroup" && !cgroupNs && !CgroupDriver.IsV2OnlyHost(cgroupPaths))
            {
                // Without a cgroup namespace each v1 hierarchy is a bind of the container's own directory.
                foreach (var (key, dir) in cgroupPaths)
                {
                    var name = key.StartsWith("name=", StringComparison.Ordinal) ? key[5..] : key;
                    var mountPoint = dest.TrimEnd('/') + "/" + name;
                    yield return (mountPoint, mountPoint, dir);
                }
            }
        }
        foreach (var p in spec.Linux?.MaskedPaths ?? [])
        {
            var path = MountPlanner.Normalize(p);
            if (isFileInContainer(path))
            {
                // Masked files are /dev/null binds: one shared name, bound again from the host's.
                yield return (path, "/dev/null", "/dev/null");
            }
        }
        if (userNs)
        {
            foreach (var d in spec.Linux?.Devices ?? [])
            {
                var path = MountPlanner.Normalize(d.Path);
                yield return (path, path, d.Path);
            }
        }
    }
}
