using System.Runtime.InteropServices;
using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Rootfs;

/// <summary>
/// Executes a mount plan inside the init's mount namespace. sources: spec mount index → fd of a
/// detached mount tree the parent took on the host (<see cref="MountSources"/>), attached in
/// place of a bind by path; requested: indexes whose tree requestSource gets from the parent
/// when the mount's turn comes.
/// </summary>
internal sealed class RootfsBuilder(string rootfs, IReadOnlyDictionary<string, string> cgroupPaths, bool newCgroupNs,
    IReadOnlyDictionary<int, int>? sources = null, IReadOnlyCollection<int>? requested = null, Func<int, int>? requestSource = null)
{
    private readonly PathMasker _masker = new();

    /// <summary>
    /// Runs the plan. beforeEnter runs just before pivot_root (console, createContainer hooks),
    /// afterEnter right after it, before paths are masked or made read-only (sysctl needs /proc/sys).
    /// </summary>
    public void Run(IEnumerable<MountOp> plan, Action beforeEnter, Action afterEnter)
    {
        // Opened after the rootfs is bound onto itself: an fd taken before would name the
        // directory underneath, and every mount would land out of sight.
        InRoot? opened = null;
        InRoot Root() => opened ??= InRoot.Open(rootfs);
        try
        {
            foreach (var op in plan)
            {
                Execute(op, Root, beforeEnter, afterEnter);
            }
        }
        finally
        {
            opened?.Dispose();
            _masker.Dispose();
        }
    }

    private void Execute(MountOp op, Func<InRoot> rootOf, Action beforeEnter, Action afterEnter)
    {
            switch (op)
            {
                case MountOp.SetPropagation p:
                    Sys.Mount(null, p.Target, null, p.Flags, null);
                    break;
                case MountOp.BindRootfs b:
                    // pivot_root refuses a shared parent mount (e.g. with rootfsPropagation
                    // "shared"); the mount holding the rootfs becomes private in our namespace.
                    Sys.Mount(null, ParentMountPoint(b.Rootfs), null, MS_PRIVATE, null);
                    Sys.Mount(b.Rootfs, b.Rootfs, "bind", MS_BIND | MS_REC, null);
                    break;
                case MountOp.Mount m:
                    try
                    {
                        MountOne(rootOf(), m);
                    }
                    catch (LinuxException e)
                    {
                        // Whatever step of it failed, the user is told which mount.
                        throw new ContainerException(MountFailure(m, e.Message));
                    }
                    break;
                case MountOp.Device d:
                    DeviceNode(rootOf(), d);
                    break;
                case MountOp.Symlink s:
                    Link(rootOf(), s.Target, s.LinkPath);
                    break;
                case MountOp.Ptmx:
                    using (var dev = new Fd(rootOf().OpenExisting("/dev")))
                    {
                        Unlink(dev.Value, "ptmx");
                        LinuxException.Check(Libc.symlinkat("pts/ptmx", dev.Value, "ptmx"), "symlink /dev/ptmx");
                    }
                    break;
                case MountOp.EnterRoot e:
                    beforeEnter();
                    EnterRoot(e.NoPivot);
                    afterEnter();
                    break;
                case MountOp.MaskPath mp:
                    _masker.Mask(mp.Path);
                    break;
                case MountOp.ReadonlyPath rp:
                    ReadonlyBind(rp.Path);
                    break;
                case MountOp.RemountReadonly ro:
                    using (var mounted = new Fd(rootOf().OpenExisting(ro.Destination)))
                    {
                        Remount(InRoot.ProcPath(mounted.Value), ro.Flags);
                    }
                    break;
                case MountOp.RemountRootReadonly:
                    Sys.Mount(null, "/", null, MS_BIND | MS_REMOUNT | MS_RDONLY | LockedFlags("/"), null);
                    break;
            }
    }

    /// <summary>
    /// The mount that holds path: the longest mount point that is path itself or a prefix of
    /// it (a rootfs that is a mount of its own, as containerd's overlay is, is its own holder).
    /// </summary>
    private static string ParentMountPoint(string path)
    {
        var best = "/";
        foreach (var e in MountInfo.OfSelf())
        {
            var mp = e.MountPoint;
            if ((mp == path || path.StartsWith(mp + "/", StringComparison.Ordinal)) && mp.Length > best.Length)
            {
                best = mp;
            }
        }
        return best;
    }

    private void MountOne(InRoot root, MountOp.Mount m)
    {
        if (m.Type is "cgroup")
        {
            MountCgroupV1(root, m);
            return;
        }
        // A bind is a bind whatever type the spec gives it (runc makes it one): its
        // destination is checked as resolved, below.
        if (m.Type is "proc" or "sysfs" && !m.Options.Bind)
        {
            // Checked where the spec says, not where a symlink of the image would lead:
            // RequireOrdinaryDirectory refuses a symlink there.
            if (ProcMountCheck.Refusal(rootfs, m.Destination, m.Type, bind: false, () => false) is { } why)
            {
                throw new ContainerException(MountFailure(m, why));
            }
            RequireOrdinaryDirectory(root, m);
        }
        int sourceFd = m.Options.Bind && sources != null && sources.TryGetValue(m.SpecIndex, out var s) ? s : -1;
        // Asked for now, after the earlier mounts it may be inside of; closed once attached.
        using var asked = new Fd(m.Options.Bind && sourceFd < 0 && requested?.Contains(m.SpecIndex) == true ? requestSource!(m.SpecIndex) : -1);
        if (asked.Value >= 0)
        {
            sourceFd = asked.Value;
        }
        bool isFile = m.Options.Bind && (sourceFd >= 0 ? !IsDirectory(sourceFd) : File.Exists(m.Source) && !Directory.Exists(m.Source));
        bool bound = m.Options.Bind;
        // A tmpfs over a directory of the image takes its mode and, with tmpcopyup, its contents.
        using var covered = new Fd(m.Type == "tmpfs" ? root.TryOpen(m.Destination) : -1);
        using (var target = new Fd(CreateMountpoint(root, m, isFile, () => IsProcfs(sourceFd, m.Source))))
        {
            var path = InRoot.ProcPath(target.Value);
            if (sourceFd >= 0)
            {
                Attach(m, sourceFd, target.Value);
            }
            else if (m.Options.Bind)
            {
                SpecMount(m, m.Source, path, "bind", MS_BIND | (m.Options.Recursive ? MS_REC : 0), null);
            }
            else
            {
                bound = MountFilesystem(m, path, covered.Value >= 0 ? TmpfsData(covered.Value, m.Options.Data) : m.Options.Data);
            }
        }
        // The fd above names the covered directory; reopen to act on the new mount.
        using var mounted = new Fd(root.OpenExisting(m.Destination));
        var mpath = InRoot.ProcPath(mounted.Value);
        if (m.Options.TmpCopyUp && covered.Value >= 0)
        {
            TmpfsCopyUp.Copy(InRoot.ProcPath(covered.Value), mpath);
        }
        if (bound && m.Options.BindRemountFlags != 0)
        {
            Remount(mpath, m.Options.BindRemountFlags);
        }
        if (!m.Options.RecursiveAttrs.IsEmpty)
        {
            // rro, rnosuid…: a remount changes one mount; the submounts of an rbind need this.
            Sys.MountSetattr(mounted.Value, m.Options.RecursiveAttrs.Set, m.Options.RecursiveAttrs.Clear, recursive: true, m.Destination);
        }
        if (m.Options.Propagation != 0)
        {
            Sys.Mount(null, mpath, null, m.Options.Propagation, null);
        }
    }

    /// <summary>
    /// The mount point's O_PATH fd, created inside the rootfs, once runc 1.3's rules allow a
    /// mount there as the path resolved: not on the rootfs itself, nor on or in /proc unless
    /// <see cref="ProcMountCheck"/> allows it.
    /// </summary>
    private int CreateMountpoint(InRoot root, MountOp.Mount m, bool isFile, Func<bool> sourceIsProcfs)
    {
        using var target = new Fd(root.Create(m.Destination, isFile));
        var inside = root.Inside(target.Value);
        var why = inside == null ? $"mountpoint \"{InRoot.PathOf(target.Value)}\" is outside of rootfs \"{rootfs}\""
            : inside == "/" ? $"mountpoint \"{rootfs}\" is on the top of rootfs \"{rootfs}\""
            : ProcMountCheck.Refusal(rootfs, inside, m.Type, m.Options.Bind, sourceIsProcfs) is { } refusal
                ? $"check proc-safety of {m.Destination} mount: {refusal}" : null;
        if (why != null)
        {
            throw new ContainerException(MountFailure(m, $"create mountpoint for {m.Destination} mount: {why}"));
        }
        return target.Take();
    }

    private static string MountFailure(MountOp.Mount m, string why) => MountWords.Failure(m.Source, m.Destination, why);

    /// <summary>mount(2) for a spec mount, a failure in runc's words (<see cref="MountWords"/>).</summary>
    private static void SpecMount(MountOp.Mount m, string? source, string path, string? type, ulong flags, string? data)
    {
        if (TryMount(source, path, type, flags, data) is not 0 and var errno)
        {
            throw SpecMountFailed(m, source, path, flags, data, errno);
        }
    }

    /// <summary>mount(2): 0, or the errno it failed with.</summary>
    private static int TryMount(string? source, string path, string? type, ulong flags, string? data) =>
        Libc.mount(source, path, type, flags, data) == 0 ? 0 : Marshal.GetLastPInvokeError();

    private static ContainerException SpecMountFailed(MountOp.Mount m, string? source, string path, ulong flags, string? data, int errno) =>
        new(MountFailure(m, MountWords.Call("mount", source, -1, m.Destination, path, flags, data, LinuxException.ErrnoText(errno))));

    private static bool IsProcfs(int sourceFd, string source) =>
        (sourceFd >= 0 ? Sys.FsTypeOf(sourceFd) : Sys.FsType(source)) == PROC_SUPER_MAGIC;

    /// <summary>Moves a detached mount tree (the source taken earlier) onto the target (both named by fd).</summary>
    private static unsafe void Attach(MountOp.Mount m, int sourceFd, int targetFd)
    {
        fixed (byte* empty = Sys.CString(""))
        {
            if (Libc.syscall(SYS_move_mount, sourceFd, (long)empty, targetFd, (long)empty, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new ContainerException(MountFailure(m, MountWords.Call("move_mount", m.Source, sourceFd, m.Destination,
                    InRoot.ProcPath(targetFd), 0, null, LinuxException.ErrnoText(errno))));
            }
        }
    }

    private static unsafe bool IsDirectory(int fd)
    {
        StatBuf st;
        return Libc.fstat(fd, &st) == 0 && (st.Mode & S_IFMT) == S_IFDIR;
    }

    /// <summary>
    /// Mounts a new filesystem; true when what was mounted is a bind instead (its flags then need
    /// a remount). Two fall-backs inside a user namespace: devpts without gid= where the tty
    /// group (gid=5) is not mapped (EINVAL; the ptys get the creator's group, as crun does), and
    /// the host's /sys bound where the network namespace is not the user namespace's (EPERM for
    /// a new sysfs, as runc does).
    /// </summary>
    private static bool MountFilesystem(MountOp.Mount m, string path, string data)
    {
        ulong flags = m.Options.Flags & ~MS_REMOUNT;
        int errno = TryMount(m.Source, path, m.Type, flags, data.Length > 0 ? data : null);
        if (errno == 0)
        {
            return false;
        }
        if (m.Type == "devpts" && errno == EINVAL && data.Contains("gid="))
        {
            SpecMount(m, m.Source, path, m.Type, flags, string.Join(",", data.Split(',').Where(o => !o.StartsWith("gid=", StringComparison.Ordinal))));
            return false;
        }
        if (m.Type == "sysfs" && errno == EPERM)
        {
            SpecMount(m, "/sys", path, "bind", MS_BIND | MS_REC, null);
            return true;
        }
        throw SpecMountFailed(m, m.Source, path, flags, data, errno);
    }

    /// <summary>
    /// runc's tmpfs data: "mode=" of the covered directory first, so that the spec's own mode=,
    /// which the kernel reads later, still wins.
    /// </summary>
    private static unsafe string TmpfsData(int coveredFd, string data)
    {
        StatBuf st;
        if (Libc.fstat(coveredFd, &st) < 0 || (st.Mode & S_IFMT) != S_IFDIR)
        {
            return data;
        }
        var mode = "mode=" + Convert.ToString(st.Mode & 0xfff, 8).PadLeft(4, '0');
        return data.Length > 0 ? mode + "," + data : mode;
    }

    /// <summary>
    /// procfs and sysfs only on a real directory of the image (CVE-2023-27561 class): a symlink
    /// there would put the kernel's files where the runtime's later writes (sysctls, masks) do
    /// not expect them. The path up to the last component is resolved inside the rootfs.
    /// </summary>
    private static unsafe void RequireOrdinaryDirectory(InRoot root, MountOp.Mount m)
    {
        var name = Path.GetFileName(m.Destination);
        if (name.Length == 0)
        {
            return;
        }
        using var parent = new Fd(root.Create(Path.GetDirectoryName(m.Destination)!, false));
        StatBuf st;
        if (Libc.fstatat(parent.Value, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.Mode & S_IFMT) != S_IFDIR)
        {
            throw new ContainerException(MountFailure(m, $"filesystem \"{m.Type}\" must be mounted on ordinary directory"));
        }
    }

    /// <summary>
    /// A bind remount may not drop flags that are locked (e.g. nodev inherited in a user
    /// namespace); when the remount fails (EPERM, whatever the error), it is retried with the
    /// mount's current flags added.
    /// </summary>
    private static void Remount(string path, ulong flags)
    {
        if (Libc.mount(null, path, null, MS_BIND | MS_REMOUNT | flags, null) == 0)
        {
            return;
        }
        Sys.Mount(null, path, null, MS_BIND | MS_REMOUNT | flags | LockedFlags(path), null);
    }

    private static unsafe ulong LockedFlags(string path)
    {
        StatFs st;
        if (Libc.statfs(path, &st) < 0)
        {
            return 0;
        }
        ulong f = 0;
        if ((st.Flags & ST_NOSUID) != 0) f |= MS_NOSUID;
        if ((st.Flags & ST_NODEV) != 0) f |= MS_NODEV;
        if ((st.Flags & ST_NOEXEC) != 0) f |= MS_NOEXEC;
        if ((st.Flags & ST_RDONLY) != 0) f |= MS_RDONLY;
        if ((st.Flags & ST_NOATIME) != 0) f |= MS_NOATIME;
        if ((st.Flags & ST_NODIRATIME) != 0) f |= MS_NODIRATIME;
        if ((st.Flags & ST_RELATIME) != 0) f |= MS_RELATIME;
        return f;
    }

    /// <summary>
    /// "cgroup" on a v1 or hybrid host: a tmpfs holding one directory per hierarchy, each the
    /// container's own cgroup (a fresh mount inside a cgroup namespace, else a bind of its directory).
    /// </summary>
    private void MountCgroupV1(InRoot root, MountOp.Mount m)
    {
        ulong flags = m.Options.Flags & ~(MS_RDONLY | MS_REMOUNT | MS_BIND | MS_REC);
        if (CgroupDriver.IsV2OnlyHost(cgroupPaths))
        {
            // A pure cgroup2 host: the spec's "cgroup" mount is the unified tree.
            using var t2 = new Fd(CreateMountpoint(root, m, false, () => false));
            MountCgroupV2(InRoot.ProcPath(t2.Value), m.Options.Flags & ~MS_REMOUNT);
            return;
        }
        using (var t = new Fd(CreateMountpoint(root, m, false, () => false)))
        {
            Sys.Mount("tmpfs", InRoot.ProcPath(t.Value), "tmpfs", flags, "mode=755");
        }
        foreach (var (key, hostDir) in cgroupPaths)
        {
            var name = key.StartsWith("name=", StringComparison.Ordinal) ? key[5..] : key;
            var dest = m.Destination.TrimEnd('/') + "/" + name;
            using var t = new Fd(root.Create(dest, false));
            var p = InRoot.ProcPath(t.Value);
            if (newCgroupNs)
            {
                if (key == CgroupMount.V2Key)
                {
                    Sys.Mount("cgroup2", p, "cgroup2", flags, null);
                }
                else
                {
                    Sys.Mount("cgroup", p, "cgroup", flags, key);
                }
            }
            else
            {
                Sys.Mount(hostDir, p, "bind", MS_BIND | MS_REC, null);
            }
            if ((m.Options.Flags & MS_RDONLY) != 0)
            {
                using var again = new Fd(root.OpenExisting(dest));
                Remount(InRoot.ProcPath(again.Value), MS_RDONLY | flags);
            }
        }
        if ((m.Options.Flags & MS_RDONLY) != 0)
        {
            using var top = new Fd(root.OpenExisting(m.Destination));
            Sys.Mount("tmpfs", InRoot.ProcPath(top.Value), "tmpfs", MS_REMOUNT | MS_RDONLY | flags, "mode=755");
        }
    }

    /// <summary>
    /// A cgroup2 mount at target. In a user namespace without a cgroup namespace of its own the
    /// kernel refuses it (EPERM; EBUSY where it is mounted already), so, as runc does, the host's
    /// tree is bound there instead (the container's own cgroup when it has a cgroup namespace)
    /// and made read-only if asked; where even that is missing, an empty read-only mask.
    /// </summary>
    private void MountCgroupV2(string target, ulong flags)
    {
        if (Libc.mount("cgroup2", target, "cgroup2", flags, null) == 0)
        {
            return;
        }
        int errno = Marshal.GetLastPInvokeError();
        if (errno is not (EPERM or EBUSY))
        {
            throw new LinuxException($"mount cgroup2 to {target} (type cgroup2, flags 0x{flags:x})", errno);
        }
        var source = newCgroupNs && cgroupPaths.TryGetValue(CgroupMount.V2Key, out var own) ? own : "/sys/fs/cgroup";
        if (Libc.mount(source, target, "bind", MS_BIND | (flags & ~MS_RDONLY), null) < 0)
        {
            if (Marshal.GetLastPInvokeError() != ENOENT)
            {
                throw LinuxException.Last($"bind {source} to {target}");
            }
            PathMasker.MountEmptyTmpfs(target);
            return;
        }
        if ((flags & MS_RDONLY) != 0)
        {
            Remount(target, flags);
        }
    }

    private static void DeviceNode(InRoot root, MountOp.Device d)
    {
        var dir = Path.GetDirectoryName(d.Path)!;
        var name = Path.GetFileName(d.Path);
        using var parent = new Fd(root.Create(dir, false));
        if (d.BindFromHost)
        {
            using var target = new Fd(root.Create(d.Path, true));
            Sys.Mount(d.Path, InRoot.ProcPath(target.Value), "bind", MS_BIND, null);
            return;
        }
        int type = d.Type switch { 'b' => S_IFBLK, 'p' => S_IFIFO, _ => S_IFCHR };
        Unlink(parent.Value, name);
        LinuxException.Check(Libc.mknodat(parent.Value, name, type | (int)(d.Mode & 0xfff), MakeDev(d.Major, d.Minor)),
            $"mknod {d.Path}");
        LinuxException.Check(Libc.fchownat(parent.Value, name, d.Uid, d.Gid, AT_SYMLINK_NOFOLLOW), $"chown {d.Path}");
    }

    public static ulong MakeDev(long major, long minor)
    {
        ulong ma = (ulong)major, mi = (ulong)minor;
        return ((ma & 0xfffff000UL) << 32) | ((ma & 0xfffUL) << 8) | ((mi & 0xffffff00UL) << 12) | (mi & 0xffUL);
    }

    private static void Link(InRoot root, string target, string linkPath)
    {
        using var parent = new Fd(root.Create(Path.GetDirectoryName(linkPath)!, false));
        if (Libc.symlinkat(target, parent.Value, Path.GetFileName(linkPath)) < 0
            && Marshal.GetLastPInvokeError() != EEXIST)
        {
            throw LinuxException.Last($"symlink {linkPath}");
        }
    }

    private static void Unlink(int dirFd, string name)
    {
        Libc.unlinkat(dirFd, name, 0);
    }

    private void EnterRoot(bool noPivot)
    {
        if (noPivot)
        {
            HideFullProcAndSys();
            LinuxException.Check(Libc.chdir(rootfs), "chdir rootfs");
            Sys.Mount(rootfs, "/", null, MS_MOVE, null);
            LinuxException.Check(Libc.chroot("."), "chroot");
            LinuxException.Check(Libc.chdir("/"), "chdir /");
            return;
        }
        using var oldRoot = new Fd(Sys.Open("/", O_DIRECTORY | O_RDONLY));
        using var newRoot = new Fd(Sys.Open(rootfs, O_DIRECTORY | O_RDONLY));
        LinuxException.Check(Libc.fchdir(newRoot.Value), "fchdir rootfs");
        Sys.PivotRoot(".", ".");
        // The old root now sits on top of the new one; detach it without letting the unmount
        // propagate back to the host.
        LinuxException.Check(Libc.fchdir(oldRoot.Value), "fchdir old root");
        Sys.Mount(null, ".", null, MS_SLAVE | MS_REC, null);
        LinuxException.Check(Libc.umount2(".", MNT_DETACH), "umount old root");
        LinuxException.Check(Libc.chdir("/"), "chdir /");
    }

    /// <summary>
    /// Without pivot_root the host's mounts stay in the container's mount namespace, merely out
    /// of chroot's sight. The kernel lets a user namespace mount a new procfs or sysfs only
    /// while a fully visible one exists in the namespace, so a fully visible host /proc would
    /// let a nested user namespace mount a bare /proc. Every whole procfs and sysfs outside the
    /// rootfs is unmounted here (or covered by a tmpfs where it cannot be).
    /// </summary>
    private void HideFullProcAndSys()
    {
        foreach (var e in MountInfo.OfSelf())
        {
            if (e.Root != "/" || e.FsType is not ("proc" or "sysfs")
                || e.MountPoint == rootfs || e.MountPoint.StartsWith(rootfs + "/", StringComparison.Ordinal))
            {
                continue;
            }
            // Slave first, so that the unmount does not propagate back to the host.
            if (Libc.mount(null, e.MountPoint, null, MS_SLAVE | MS_REC, null) < 0)
            {
                if (Marshal.GetLastPInvokeError() == ENOENT)
                {
                    continue; // under a mount already taken away
                }
                throw LinuxException.Last($"make {e.MountPoint} a slave");
            }
            if (Libc.umount2(e.MountPoint, MNT_DETACH) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is not (EINVAL or EPERM))
                {
                    throw new LinuxException($"umount {e.MountPoint}", errno);
                }
                Sys.Mount("tmpfs", e.MountPoint, "tmpfs", 0, null);
            }
        }
    }

    private static void ReadonlyBind(string path)
    {
        if (Libc.mount(path, path, null, MS_BIND | MS_REC, null) < 0)
        {
            if (Marshal.GetLastPInvokeError() == ENOENT)
            {
                return;
            }
            throw LinuxException.Last($"bind {path}");
        }
        Remount(path, MS_RDONLY | MS_REC);
    }
}
