using System.Runtime.InteropServices;

namespace Ocirun.Runtime.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(L, SetLastError = true)]
    public static partial int socketpair(int domain, int type, int protocol, int* sv);

    [LibraryImport(L, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(L, SetLastError = true)]
    public static partial int connect(int fd, byte* addr, int len);

    [LibraryImport(L, SetLastError = true)]
    public static partial nint sendmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport(L, SetLastError = true)]
    public static partial nint recvmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport(L, SetLastError = true)]
    public static partial nint recv(int fd, byte* buf, nint len, int flags);
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public void* Base;
    public nint Len;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public void* Name;
    public int NameLen;
    public IoVec* Iov;
    public nint IovLen;
    public void* Control;
    public nint ControlLen;
    public int Flags;
}
