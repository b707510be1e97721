using Ocirun.Runtime.Interop;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Linux;

/// <summary>
/// A copy of our own binary for `ocirun init` that cannot be written through: a container
/// process that reaches /proc/PID/exe of the init can then not overwrite the host's ocirun
/// (CVE-2019-5736).
/// </summary>
internal static unsafe class SealedExe
{
    /// <summary>Returns an fd of an unwritable file holding this binary.</summary>
    public static int Create() => ReadOnlyOverlay() is var fd and >= 0 ? fd : SealedCopy();

    /// <summary>
    /// Opens this binary through a read-only overlay of its directory that is mounted nowhere
    /// (the new mount API's detached mount, gone with its last fd): about 0.25 ms, against
    /// 2.5 ms for copying the 6 MB binary. Needs Linux 6.15 ("lowerdir+" and a detached mount
    /// as a layer); -1 where refused, or where the file by that name is no longer this binary
    /// (replaced since we started, by an upgrade say).
    /// </summary>
    internal static int ReadOnlyOverlay()
    {
        var exe = new FileInfo("/proc/self/exe").LinkTarget;
        if (exe == null || !exe.StartsWith('/') || exe.EndsWith(" (deleted)", StringComparison.Ordinal))
        {
            return -1;
        }
        int tmpfs = -1, empty = -1, overlay = -1, mnt = -1;
        try
        {
            // Without an upper layer overlayfs wants two lower ones: the second is an empty tmpfs.
            tmpfs = Sys.FsOpen("tmpfs");
            if (tmpfs < 0 || Libc.syscall(SYS_fsconfig, tmpfs, FSCONFIG_CMD_CREATE, 0, 0, 0) < 0)
            {
                return -1;
            }
            empty = (int)Libc.syscall(SYS_fsmount, tmpfs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY, 0, 0);
            overlay = Sys.FsOpen("overlay");
            if (empty < 0 || overlay < 0
                || !SetString(overlay, "lowerdir+", Path.GetDirectoryName(exe)!)
                || !SetString(overlay, "lowerdir+", $"/proc/self/fd/{empty}")
                || Libc.syscall(SYS_fsconfig, overlay, FSCONFIG_CMD_CREATE, 0, 0, 0) < 0)
            {
                return -1;
            }
            mnt = (int)Libc.syscall(SYS_fsmount, overlay, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, 0);
            int fd = mnt < 0 ? -1 : Libc.openat(mnt, Path.GetFileName(exe), O_RDONLY | O_CLOEXEC, 0);
            if (fd >= 0 && !SameContent(fd))
            {
                Sys.Close(fd);
                return -1;
            }
            return fd;
        }
        finally
        {
            foreach (var fd in new[] { mnt, overlay, empty, tmpfs })
            {
                if (fd >= 0)
                {
                    Sys.Close(fd);
                }
            }
        }
    }

    /// <summary>
    /// Whether fd holds the binary we run, judged by size and modification time (overlayfs
    /// reports a device and inode of its own).
    /// </summary>
    private static bool SameContent(int fd)
    {
        int self = Sys.Open("/proc/self/exe", O_RDONLY);
        try
        {
            StatBuf a, b;
            return Libc.fstat(fd, &a) == 0 && Libc.fstat(self, &b) == 0
                && a.Size == b.Size && a.MtimeSec == b.MtimeSec && a.MtimeNsec == b.MtimeNsec;
        }
        finally
        {
            Sys.Close(self);
        }
    }

    private static bool SetString(int fsfd, string key, string value)
    {
        fixed (byte* k = Sys.CString(key))
        fixed (byte* v = Sys.CString(value))
        {
            return Libc.syscall(SYS_fsconfig, fsfd, FSCONFIG_SET_STRING, (long)k, (long)v, 0) == 0;
        }
    }

    /// <summary>The fallback: a sealed memfd holding a copy of /proc/self/exe.</summary>
    internal static int SealedCopy()
    {
        int src = Sys.Open("/proc/self/exe", O_RDONLY);
        try
        {
            int mfd = Libc.memfd_create("ocirun-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
            if (mfd < 0)
            {
                // Kernels before 6.3 reject MFD_EXEC; their memfds are executable anyway.
                mfd = LinuxException.Check(Libc.memfd_create("ocirun-init", MFD_CLOEXEC | MFD_ALLOW_SEALING), "memfd_create");
            }
            long off = 0;
            while (true)
            {
                nint n = Libc.sendfile(mfd, src, &off, 1 << 30);
                if (n == 0)
                {
                    break;
                }
                if (n < 0)
                {
                    throw LinuxException.LastClosing(mfd, "copy /proc/self/exe into memfd");
                }
            }
            LinuxException.Check(Libc.fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
                "seal memfd");
            return mfd;
        }
        finally
        {
            Sys.Close(src);
        }
    }
}
