using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using Ocirun.Runtime.Rootfs;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// Copies, made on the host, of the tmpfs mounts create fills itself: /dev with its nodes and
/// links, /dev/shm and other tmpfs mounts of the spec, and a v1 host's /sys/fs/cgroup with one
/// directory per hierarchy. CRIU archives every tmpfs with tar and gzip (two process starts,
/// about 16 ms) on dump and unpacks it on restore. A checkpoint builds the copies and compares
/// each with the container's own (<see cref="TreeComparer"/>); those that are the same are
/// external mounts in the images, and a restore builds the copies again and has CRIU bind them.
/// Whatever the container changed in a tmpfs makes it differ, and CRIU archives it as before.
/// In a user namespace the container's tmpfs belongs to it, which a copy made on the host
/// would not: none are made there.
/// </summary>
public static class TmpfsReplicas
{
    /// <summary>The name the images give the tmpfs at a destination.</summary>
    public static string NameOf(string destination) => "ocirun-tmpfs:" + destination;

    /// <summary>The destinations a copy can be made of (pure).</summary>
    public static List<string> Candidates(Spec.Model.Spec spec, IReadOnlyDictionary<string, string> cgroupPaths)
    {
        var ns = spec.Linux?.Namespaces ?? [];
        if (ns.Any(n => n.Type == "user"))
        {
            return [];
        }
        var result = new List<string>();
        foreach (var m in spec.Mounts ?? [])
        {
            var dest = MountPlanner.Normalize(m.Destination);
            bool bind = MountOptions.Parse(m.Options).Bind;
            // With or without a cgroup namespace: only what is mounted in its directories differs.
            bool v1CgroupTmpfs = m.Type == "cgroup" && !CgroupDriver.IsV2OnlyHost(cgroupPaths);
            if (!bind && (m.Type == "tmpfs" || v1CgroupTmpfs) && !result.Contains(dest))
            {
                result.Add(dest);
            }
        }
        return result;
    }

    /// <summary>
    /// Makes a copy of every candidate below dir (a private mount of its own, so nothing made
    /// there reaches the host's other mounts); returns destination → the copy's path.
    /// </summary>
    /// <param name="unpacking">A restore's: the archive of a tmpfs the container had changed (<see cref="TmpfsArchives"/>), if the
    /// images hold one, makes that copy the fresh tmpfs with the archive unpacked in it, once unpacking is finished.</param>
    public static Dictionary<string, string> Build(Spec.Model.Spec spec, string rootfs, IReadOnlyDictionary<string, string> cgroupPaths, string dir,
        TmpfsArchives.Unpacking? unpacking = null)
    {
        var candidates = Candidates(spec, cgroupPaths);
        var copies = new Dictionary<string, string>(StringComparer.Ordinal);
        if (candidates.Count == 0)
        {
            return copies;
        }
        Remove(dir); // what a killed command left
        Directory.CreateDirectory(dir);
        Sys.Mount(dir, dir, "bind", MS_BIND, null);
        Sys.Mount(null, dir, null, MS_PRIVATE, null);
        var plan = MountPlanner.Plan(spec, rootfs, noPivot: false, userNamespace: false);
        // The init makes nodes and directories with umask 0; so must the copies be made. No
        // other thread of the runtime creates files meanwhile (the image hashers only read).
        int umask = Libc.umask(0);
        try
        {
            BuildEach(spec, rootfs, cgroupPaths, dir, candidates, plan, copies, unpacking);
        }
        finally
        {
            Libc.umask(umask);
        }
        return copies;
    }

    private static void BuildEach(Spec.Model.Spec spec, string rootfs, IReadOnlyDictionary<string, string> cgroupPaths, string dir,
        List<string> candidates, List<MountOp> plan, Dictionary<string, string> copies, TmpfsArchives.Unpacking? unpacking)
    {
        int n = 0;
        foreach (var dest in candidates)
        {
            // Each copy in a root of its own, laid out as the rootfs: the plan's paths fit.
            var root = Path.Combine(dir, (n++).ToString());
            Directory.CreateDirectory(root);
            CoverLike(rootfs, root, dest);
            var archive = unpacking?.ArchiveOf(dest);
            if (spec.Mounts!.First(m => MountPlanner.Normalize(m.Destination) == dest).Type == "cgroup")
            {
                CgroupTmpfs(root, dest, spec, cgroupPaths, archive, unpacking);
            }
            else
            {
                SpecTmpfs(root, dest, spec, plan, archive, unpacking);
            }
            copies[dest] = root + dest;
        }
    }

    /// <summary>Unmounts and removes what <see cref="Build"/> made (a killed command leaves it).</summary>
    public static void Remove(string dir)
    {
        if (Directory.Exists(dir))
        {
            // Each detach takes a bind with every copy in it; more than one if a killed command left one.
            while (Libc.umount2(dir, MNT_DETACH) == 0)
            {
            }
            RemoveDirectories(dir);
        }
    }

    /// <summary>
    /// What is left once the copies are detached: the directories they were mounted on. Only
    /// directories are removed, never a file: were a copy still attached here (bound into a
    /// restored container), its nodes stay where they are.
    /// </summary>
    private static unsafe void RemoveDirectories(string dir)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
        {
            StatBuf st;
            if (Libc.fstatat(AT_FDCWD, entry, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.Mode & S_IFMT) == S_IFDIR)
            {
                RemoveDirectories(entry);
            }
        }
        Libc.unlinkat(AT_FDCWD, dir, AT_REMOVEDIR); // rmdir: fails, and leaves it, if anything but directories is in it
    }

    /// <summary>
    /// The tmpfs and what the plan puts in it: nodes, links, /dev/ptmx, mount points, then
    /// read-only. With an archive, the tmpfs alone and then what the archive holds.
    /// </summary>
    private static void SpecTmpfs(string root, string dest, Spec.Model.Spec spec, List<MountOp> plan, string? archive, TmpfsArchives.Unpacking? unpacking)
    {
        bool Inside(string p) => p.StartsWith(dest.TrimEnd('/') + "/", StringComparison.Ordinal);
        var fill = plan.Where(op => op switch
        {
            MountOp.Mount m => m.Destination == dest,
            MountOp.Device d => archive == null && Inside(d.Path),
            MountOp.Symlink s => archive == null && Inside(s.LinkPath),
            MountOp.Ptmx => archive == null && dest == "/dev",
            _ => false,
        }).ToList();
        var builder = new RootfsBuilder(root, new Dictionary<string, string>(), newCgroupNs: false);
        builder.Run(fill, () => { }, () => { });
        void Remount() => builder.Run(plan.OfType<MountOp.RemountReadonly>().Where(ro => ro.Destination == dest), () => { }, () => { });
        if (archive != null)
        {
            unpacking!.Start(archive, root + dest, then: Remount);
            return;
        }
        MountPoints(root, dest, spec, Inside);
        Remount();
    }

    /// <summary>The mount points of the spec's mounts below the tmpfs, and /dev/console for a terminal.</summary>
    private static void MountPoints(string root, string dest, Spec.Model.Spec spec, Func<string, bool> inside)
    {
        using var r = InRoot.Open(root);
        foreach (var m in spec.Mounts ?? [])
        {
            var child = MountPlanner.Normalize(m.Destination);
            if (inside(child))
            {
                bool isFile = MountOptions.Parse(m.Options).Bind && File.Exists(m.Source) && !Directory.Exists(m.Source);
                Libc.close(r.Create(child, isFile));
            }
        }
        if (dest == "/dev" && spec.Process?.Terminal == true)
        {
            Libc.close(r.Create("/dev/console", asFile: true));
        }
    }

    /// <summary>A v1 host's cgroup tmpfs as create makes it: a directory per hierarchy, read-only if the mount is.</summary>
    private static void CgroupTmpfs(string root, string dest, Spec.Model.Spec spec, IReadOnlyDictionary<string, string> cgroupPaths, string? archive,
        TmpfsArchives.Unpacking? unpacking)
    {
        var options = MountOptions.Parse(spec.Mounts!.First(m => MountPlanner.Normalize(m.Destination) == dest).Options);
        ulong flags = options.Flags & ~(MS_RDONLY | MS_REMOUNT | MS_BIND | MS_REC);
        var path = root + dest;
        Directory.CreateDirectory(path);
        Sys.Mount("tmpfs", path, "tmpfs", flags, "mode=755");
        void Remount()
        {
            if ((options.Flags & MS_RDONLY) != 0)
            {
                Sys.Mount("tmpfs", path, "tmpfs", MS_REMOUNT | MS_RDONLY | flags, "mode=755");
            }
        }
        if (archive != null)
        {
            unpacking!.Start(archive, path, then: Remount);
            return;
        }
        foreach (var key in cgroupPaths.Keys)
        {
            // 0755, as the init's InRoot.Create makes each hierarchy's mount point.
            Directory.CreateDirectory(Path.Combine(path, key.StartsWith("name=", StringComparison.Ordinal) ? key[5..] : key), (UnixFileMode)0x1ed);
        }
        Remount();
    }

    /// <summary>
    /// A tmpfs over a directory of the image takes that directory's mode (see RootfsBuilder):
    /// the copy's root gets the same directory to cover.
    /// </summary>
    private static unsafe void CoverLike(string rootfs, string root, string dest)
    {
        using var image = InRoot.Open(rootfs);
        using var covered = new Fd(image.TryOpen(dest, O_PATH | O_NOFOLLOW));
        StatBuf st;
        if (covered.IsInvalid || Libc.fstat(covered.Value, &st) != 0 || (st.Mode & S_IFMT) != S_IFDIR)
        {
            return;
        }
        using var copy = InRoot.Open(root);
        using var made = new Fd(copy.Create(dest, asFile: false));
        File.SetUnixFileMode(InRoot.ProcPath(made.Value), (UnixFileMode)(st.Mode & 0xfff));
    }
}
