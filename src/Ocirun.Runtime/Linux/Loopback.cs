using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Linux;

/// <summary>Brings "lo" up: a new network namespace starts with it down (runc and crun raise it too).</summary>
public static unsafe class Loopback
{
    private const int AF_INET = 2, SOCK_DGRAM = 2;
    private const ulong SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;
    private const short IFF_UP = 1;

    /// <summary>In the calling thread's network namespace.</summary>
    public static void Up()
    {
        using var sock = new Fd(LinuxException.Check(Libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket for lo"));
        // struct ifreq: 16-byte name, then the flags (short) at offset 16.
        byte* req = stackalloc byte[40];
        new Span<byte>(req, 40).Clear();
        "lo"u8.CopyTo(new Span<byte>(req, 16));
        LinuxException.Check(Libc.ioctl(sock.Value, SIOCGIFFLAGS, (nint)req), "get lo flags");
        *(short*)(req + 16) |= IFF_UP;
        LinuxException.Check(Libc.ioctl(sock.Value, SIOCSIFFLAGS, (nint)req), "bring lo up");
    }

    /// <summary>In the network namespace of pid (a restored container).</summary>
    public static void UpIn(int pid) => NamespaceThread.Run(pid, "net", NamespaceThread.CloneNewNet, () =>
    {
        Up();
        return true;
    });
}
