using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Linux;
using Ocirun.Runtime.Rootfs;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// The mounts CRIU must treat as external, keyed by their destination inside the container:
/// bind mounts, files masked with /dev/null, device nodes bound from the host, and v1 cgroup
/// binds, and the empty masks of masked directories. Pure, so dump and restore agree by
/// construction.
/// </summary>
public static class CriuMounts
{
    /// <summary>
    /// The name the images give every empty mask. CRIU archives each tmpfs superblock with tar
    /// and gzip (two process starts, about 18 ms) on dump and unpacks it on restore; an empty
    /// read-only tmpfs is made again by mounting one, so the masks are external instead, bound
    /// on restore from one fresh mask as create clones one. runc restores such images only with
    /// this name mapped to an empty directory.
    /// </summary>
    public const string EmptyMaskName = "ocirun-empty-mask";

    /// <summary>
    /// Dump: the container's mount points (real paths in its mount table) that hold a masked
    /// directory's mask as made at create: a read-only tmpfs, mounted once at that point, empty.
    /// Anything else there (a mask remounted writable and filled, another mount on top) is
    /// left for CRIU to archive as before.
    /// </summary>
    public static List<string> EmptyMasks(IEnumerable<MountInfoEntry> containerMounts, IEnumerable<string> maskedDirs, Func<string, bool> isEmpty)
    {
        var masked = maskedDirs.ToHashSet(StringComparer.Ordinal);
        return containerMounts.GroupBy(m => m.MountPoint, StringComparer.Ordinal)
            .Where(g => masked.Contains(g.Key) && g.Count() == 1)
            .Select(g => g.Single())
            .Where(m => m.FsType == "tmpfs" && m.Root == "/" && m.SuperOptions.Split(',').Contains("ro") && isEmpty(m.MountPoint))
            .Select(m => m.MountPoint).ToList();
    }

    /// <summary>
    /// Dump: mount point in the container → the name the images record. resolve gives where a
    /// destination really is inside the rootfs (through its symlinks: a bind at /conf -> /real/conf
    /// is mounted at /real/conf, and only that path is a mount point CRIU knows).
    /// </summary>
    /// <param name="emptyMasks">From <see cref="EmptyMasks"/>: real paths already.</param>
    public static List<ExtMountMap> ForDump(Spec.Model.Spec spec, Func<string, bool> isFileInContainer,
        IReadOnlyDictionary<string, string> cgroupPaths, Func<string, string>? resolve = null, IEnumerable<string>? emptyMasks = null) =>
        Collect(spec, isFileInContainer, cgroupPaths)
            .Select(m => new ExtMountMap { Key = resolve?.Invoke(m.Dest) ?? m.Dest, Val = m.Name })
            .Concat((emptyMasks ?? []).Select(p => new ExtMountMap { Key = p, Val = EmptyMaskName })).ToList();

    /// <summary>Dump: the tmpfs mounts a restore makes again (<see cref="TmpfsReplicas"/>), by destination.</summary>
    public static List<ExtMountMap> ForCopiedTmpfs(IEnumerable<string> destinations, Func<string, string>? resolve = null) =>
        destinations.Select(d => new ExtMountMap { Key = resolve?.Invoke(d) ?? d, Val = TmpfsReplicas.NameOf(d) }).ToList();

    /// <summary>
    /// Restore: recorded name → what to mount there now (on a new host, a new bundle; bind
    /// sources are absolute, see Containers.LoadSpec). Which masked paths were files is known
    /// only while the container runs, so a restore maps the shared /dev/null name whenever
    /// there are masked paths at all.
    /// </summary>
    /// <param name="emptyMask">A fresh empty mask on the host, for images that name <see cref="EmptyMaskName"/>
    /// (CRIU ignores a mapping no image names, so it is given whenever there are masked paths).</param>
    /// <param name="tmpfsCopies">Destination → a fresh copy of that tmpfs (<see cref="TmpfsReplicas.Build"/>), likewise.</param>
    public static List<ExtMountMap> ForRestore(Spec.Model.Spec spec, IReadOnlyDictionary<string, string> cgroupPaths, string? emptyMask = null,
        IReadOnlyDictionary<string, string>? tmpfsCopies = null) =>
        Collect(spec, path => spec.Linux?.MaskedPaths?.Count > 0 && path == MountPlanner.Normalize(spec.Linux.MaskedPaths[0]), cgroupPaths)
            .Select(m => new ExtMountMap { Key = m.Name, Val = m.Source })
            .Concat((tmpfsCopies ?? new Dictionary<string, string>()).Select(c => new ExtMountMap { Key = TmpfsReplicas.NameOf(c.Key), Val = c.Value }))
            .Concat(emptyMask == null ? [] : [new ExtMountMap { Key = EmptyMaskName, Val = emptyMask }])
            .DistinctBy(m => m.Key).ToList();

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
