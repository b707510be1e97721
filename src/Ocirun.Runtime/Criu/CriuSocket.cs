using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// CRIU's framing on the swrk socket (SOCK_SEQPACKET): one protobuf message per datagram, no
/// length prefix; a datagram may carry one descriptor (the orphan-pts-master notify).
/// </summary>
internal static unsafe class CriuSocket
{
    // Room for a cmsghdr and a few fds; CRIU sends at most one.
    private const int ControlSize = 64;

    /// <summary>Sends one datagram; false when the peer is gone (EPIPE/ECONNRESET).</summary>
    public static bool Send(int sock, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            var iov = new IoVec { Base = p, Len = data.Length };
            var msg = new MsgHdr { Iov = &iov, IovLen = 1 };
            nint r;
            do
            {
                r = Libc.sendmsg(sock, &msg, MSG_NOSIGNAL);
                if (r < 0 && Marshal.GetLastPInvokeError() is EPIPE or ECONNRESET)
                {
                    return false;
                }
            }
            while (Interrupted(r, "send to criu"));
            return true;
        }
    }

    /// <summary>
    /// Receives one datagram and the descriptor it carried (close-on-exec, owned by the caller).
    /// Data is null when CRIU closed its end: CRIU never sends an empty message.
    /// </summary>
    public static (byte[]? Data, int? Fd) Receive(int sock)
    {
        // The length first, so that no message can be cut short whatever its size.
        nint size;
        do
        {
            size = Libc.recv(sock, null, 0, MSG_PEEK | MSG_TRUNC);
        }
        while (Interrupted(size, "peek at criu message"));
        if (size == 0)
        {
            return (null, null);
        }
        var data = new byte[size];
        byte* control = stackalloc byte[ControlSize];
        nint n;
        MsgHdr msg;
        fixed (byte* p = data)
        {
            var iov = new IoVec { Base = p, Len = size };
            do
            {
                msg = new MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = ControlSize };
                n = Libc.recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
            }
            while (Interrupted(n, "receive criu message"));
        }
        int? fd = FdPassing.TakeFd(control, msg.ControlLen);
        if (n != size || (msg.Flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
        {
            Sys.Close(fd ?? -1);
            throw new ContainerException($"criu message truncated ({n} of {size} bytes, flags 0x{msg.Flags:x})");
        }
        return (data, fd);
    }

    /// <summary>True to retry after EINTR; throws for any other failure.</summary>
    private static bool Interrupted(nint result, string what)
    {
        if (result >= 0)
        {
            return false;
        }
        int e = Marshal.GetLastPInvokeError();
        return e == EINTR ? true : throw new LinuxException(what, e);
    }
}
