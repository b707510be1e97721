using System.Runtime.InteropServices;
using System.Text;
using Ocirun.Runtime.Interop;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Linux;

/// <summary>Sends and receives one fd over a unix socket (SCM_RIGHTS), as console sockets do.</summary>
public static unsafe class FdPassing
{
    // cmsghdr is { size_t len; int level; int type; } followed by the data, 8-byte aligned.
    private const int CmsgHeader = 16, CmsgSpace = 24, CmsgLen = 20;

    public static void Send(int socketFd, int fd, string name)
    {
        var data = Encoding.UTF8.GetBytes(name.Length == 0 ? "\0" : name);
        byte* control = stackalloc byte[CmsgSpace];
        new Span<byte>(control, CmsgSpace).Clear();
        *(nint*)control = CmsgLen;
        *(int*)(control + 8) = SOL_SOCKET;
        *(int*)(control + 12) = SCM_RIGHTS;
        *(int*)(control + CmsgHeader) = fd;
        fixed (byte* d = data)
        {
            var iov = new IoVec { Base = d, Len = data.Length };
            var msg = new MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = CmsgSpace };
            if (Libc.sendmsg(socketFd, &msg, 0) < 0)
            {
                throw LinuxException.Last("send fd over console socket");
            }
        }
    }

    /// <summary>Receives one fd (and the message text) from a unix socket.</summary>
    public static (int Fd, string Name) Receive(int socketFd)
    {
        byte* buf = stackalloc byte[4096];
        byte* control = stackalloc byte[CmsgSpace];
        var iov = new IoVec { Base = buf, Len = 4096 };
        var msg = new MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = CmsgSpace };
        nint n = Libc.recvmsg(socketFd, &msg, 0x40000000 /* MSG_CMSG_CLOEXEC */);
        if (n < 0)
        {
            throw LinuxException.Last("recvmsg");
        }
        int fd = TakeFd(control, msg.ControlLen) ?? throw new InvalidDataException("message carried no file descriptor");
        return (fd, Encoding.UTF8.GetString(buf, (int)n).TrimEnd('\0'));
    }

    /// <summary>The first SCM_RIGHTS descriptor of a received control buffer; any further ones are closed.</summary>
    internal static int? TakeFd(byte* control, nint controlLen)
    {
        if (controlLen < CmsgLen || *(int*)(control + 8) != SOL_SOCKET || *(int*)(control + 12) != SCM_RIGHTS)
        {
            return null;
        }
        int count = (int)((*(nint*)control - CmsgHeader) / sizeof(int));
        var fds = (int*)(control + CmsgHeader);
        for (int i = 1; i < count; i++)
        {
            Sys.Close(fds[i]);
        }
        return fds[0];
    }

    /// <summary>Connects a SOCK_STREAM unix socket to path (what names it in errors); returns the fd.</summary>
    public static int Connect(string path, string what = "console socket")
    {
        using var fd = new Fd(LinuxException.Check(Libc.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket"));
        var addr = new byte[110];
        addr[0] = AF_UNIX;
        var p = Encoding.UTF8.GetBytes(path);
        if (p.Length > 107)
        {
            throw new ContainerException($"{what} path too long: {path}");
        }
        p.CopyTo(addr, 2);
        fixed (byte* a = addr)
        {
            if (Libc.connect(fd.Value, a, 2 + p.Length + 1) < 0)
            {
                // errno before the close that disposing does.
                throw LinuxException.Last($"connect to {what} {path}");
            }
        }
        return fd.Take();
    }
}
