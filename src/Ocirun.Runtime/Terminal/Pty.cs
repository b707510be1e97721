using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Terminal;

/// <summary>
/// The container's terminal: a pty from the container's own devpts, the master sent to the
/// caller's console socket, the slave made the init's controlling terminal and stdio.
/// </summary>
internal static unsafe class Pty
{
    public static void Setup(string rootfs, int consoleSocketFd, Spec.Model.ConsoleSize? size, bool bindConsole)
    {
        var ptmx = File.Exists(rootfs + "/dev/pts/ptmx") ? rootfs + "/dev/pts/ptmx" : "/dev/ptmx";
        int master = Sys.Open(ptmx, O_RDWR | O_NOCTTY);
        int unlock = 0;
        LinuxException.Check(Libc.ioctl(master, TIOCSPTLCK, (nint)(&unlock)), "unlock pty");
        uint n;
        LinuxException.Check(Libc.ioctl(master, TIOCGPTN, (nint)(&n)), "get pty number");
        var slavePath = Path.Combine(Path.GetDirectoryName(ptmx)!, n.ToString());
        int slave = Sys.Open(slavePath, O_RDWR | O_NOCTTY);
        if (size is { Height: > 0 } or { Width: > 0 })
        {
            ushort* ws = stackalloc ushort[4];
            ws[0] = (ushort)size.Height;
            ws[1] = (ushort)size.Width;
            ws[2] = ws[3] = 0;
            Libc.ioctl(master, TIOCSWINSZ, (nint)ws);
        }
        // /dev/console in the container is the pty slave, as in runc and crun.
        var console = rootfs + "/dev/console";
        if (bindConsole && Directory.Exists(rootfs + "/dev"))
        {
            if (!File.Exists(console))
            {
                File.WriteAllBytes(console, []);
            }
            Sys.Mount(slavePath, console, "bind", MS_BIND, null);
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
}
