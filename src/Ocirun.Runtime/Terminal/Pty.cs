using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using Ocirun.Runtime.Rootfs;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Terminal;

/// <summary>
/// The container's terminal: a pty from the container's own devpts, the master sent to the
/// caller's console socket, the slave made the init's controlling terminal and stdio.
/// </summary>
internal static unsafe class Pty
{
    /// <summary>
    /// rootfs is the container's root before pivot_root (a new container), or "" for a process
    /// already inside it (exec). Every path in the rootfs is resolved inside it: an image's
    /// /dev/console or /dev/pts that is a symlink must not carry the console mount to the host.
    /// </summary>
    public static void Setup(string rootfs, int consoleSocketFd, Spec.Model.ConsoleSize? size, bool relayed)
    {
        using var root = rootfs.Length > 0 ? InRoot.Open(rootfs) : null;
        int master = OpenMaster(root);
        int unlock = 0;
        LinuxException.Check(Libc.ioctl(master, TIOCSPTLCK, (nint)(&unlock)), "unlock pty");
        int slave = OpenSlave(root, master);
        if (relayed)
        {
            ClearOnlcr(master);
        }
        if (size is { Height: > 0 } or { Width: > 0 })
        {
            ushort* ws = stackalloc ushort[4];
            ws[0] = (ushort)size.Height;
            ws[1] = (ushort)size.Width;
            ws[2] = ws[3] = 0;
            Libc.ioctl(master, TIOCSWINSZ, (nint)ws);
        }
        if (root != null)
        {
            BindConsole(root, slave);
        }
        FdPassing.Send(consoleSocketFd, master, "/dev/ptmx");
        Libc.close(master);
        Libc.close(consoleSocketFd);
        // The native stage made us a session leader already; only the controlling terminal is new.
        LinuxException.Check(Libc.ioctl(slave, TIOCSCTTY, 0), "set controlling terminal");
        for (int fd = 0; fd < 3; fd++)
        {
            LinuxException.Check(Libc.dup3(slave, fd, 0), "dup pty to stdio");
        }
        if (slave > 2)
        {
            Libc.close(slave);
        }
    }

    /// <summary>
    /// The container's devpts multiplexer (the host's /dev/ptmx where the spec mounts no
    /// devpts). TIOCGPTN below fails on anything that is not a pty master.
    /// </summary>
    private static int OpenMaster(InRoot? root)
    {
        if (root != null)
        {
            int fd = root.TryOpen("/dev/pts/ptmx", O_RDWR | O_NOCTTY);
            if (fd >= 0)
            {
                return fd;
            }
        }
        else if (File.Exists("/dev/pts/ptmx"))
        {
            return Sys.Open("/dev/pts/ptmx", O_RDWR | O_NOCTTY);
        }
        return Sys.Open("/dev/ptmx", O_RDWR | O_NOCTTY);
    }

    /// <summary>
    /// For the runtime's own relay, as runc's foreground terminal: the container's "\n" reaches
    /// the caller as written, not as "\r\n" (the caller's own terminal, in raw mode, gets it as is).
    /// </summary>
    private static void ClearOnlcr(int master)
    {
        const int Onlcr = 4, OflagOffset = 4;
        byte* t = stackalloc byte[64];
        if (Libc.tcgetattr(master, t) == 0)
        {
            *(uint*)(t + OflagOffset) &= ~(uint)Onlcr;
            Libc.tcsetattr(master, 0 /* TCSANOW */, t);
        }
    }

    /// <summary>The slave through TIOCGPTPEER (no path lookup at all), by its /dev/pts path before Linux 4.13.</summary>
    private static int OpenSlave(InRoot? root, int master)
    {
        int slave = Libc.ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave >= 0)
        {
            return slave;
        }
        uint n;
        LinuxException.Check(Libc.ioctl(master, TIOCGPTN, (nint)(&n)), "get pty number");
        var path = $"/dev/pts/{n}";
        return root == null ? Sys.Open(path, O_RDWR | O_NOCTTY)
            : LinuxException.Check(root.TryOpen(path, O_RDWR | O_NOCTTY), $"open {path} in rootfs");
    }

    /// <summary>
    /// /dev/console in the container becomes the pty slave, as in runc and crun. The mount point
    /// must be a regular file or a device node of the rootfs itself: anything else there (a
    /// symlink, a directory, a FIFO) is removed and replaced by an empty file.
    /// </summary>
    private static void BindConsole(InRoot root, int slave)
    {
        int dev = root.TryOpen("/dev", O_PATH | O_DIRECTORY);
        if (dev < 0)
        {
            return;
        }
        try
        {
            StatBuf st;
            if (Libc.fstatat(dev, "console", &st, AT_SYMLINK_NOFOLLOW) == 0
                && (st.Mode & S_IFMT) is not (S_IFREG or S_IFCHR))
            {
                int flags = (st.Mode & S_IFMT) == S_IFDIR ? AT_REMOVEDIR : 0;
                LinuxException.Check(Libc.unlinkat(dev, "console", flags), "replace /dev/console in rootfs");
            }
            int created = Libc.openat(dev, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0);
            if (created >= 0)
            {
                Libc.close(created);
            }
            else if (Marshal.GetLastPInvokeError() != EEXIST)
            {
                throw LinuxException.Last("create /dev/console in rootfs");
            }
            using var target = new Fd(LinuxException.Check(Libc.openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC, 0),
                "open /dev/console in rootfs"));
            Sys.Mount(InRoot.ProcPath(slave), InRoot.ProcPath(target.Value), "bind", MS_BIND, null);
        }
        finally
        {
            Libc.close(dev);
        }
    }
}
