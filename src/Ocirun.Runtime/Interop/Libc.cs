using System.Runtime.InteropServices;

namespace Ocirun.Runtime.Interop;

/// <summary>
/// Raw libc entry points. The binary binds them at link time (DirectPInvoke), so nothing
/// is loaded lazily after the init has left the host's filesystem.
/// </summary>
internal static unsafe partial class Libc
{
    private const string L = "libc";

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, int mode);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int openat(int dirfd, string path, int flags, int mode);

    [LibraryImport(L, SetLastError = true)]
    public static partial int close(int fd);

    /// <summary>ts: a struct timespec, seconds then nanoseconds.</summary>
    [LibraryImport(L, SetLastError = true)]
    public static partial int clock_gettime(int clock, long* ts);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int faccessat(int dirfd, string path, int mode, int flags);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rename(string oldPath, string newPath);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int renameat(int oldDirfd, string oldPath, int newDirfd, string newPath);

    [LibraryImport(L, SetLastError = true)]
    public static partial int sched_setaffinity(int pid, nint size, byte* mask);

    [LibraryImport(L, SetLastError = true)]
    public static partial int sched_getaffinity(int pid, nint size, byte* mask);

    [LibraryImport(L, SetLastError = true)]
    public static partial nint read(int fd, byte* buf, nint count);

    [LibraryImport(L, SetLastError = true)]
    public static partial nint write(int fd, byte* buf, nint count);

    [LibraryImport(L, SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(L, SetLastError = true)]
    public static partial int dup3(int oldfd, int newfd, int flags);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkdirat(int dirfd, string path, int mode);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mknodat(int dirfd, string path, int mode, ulong dev);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint readlinkat(int dirfd, string path, byte* buf, nint size);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int unlinkat(int dirfd, string path, int flags);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int symlinkat(string target, int dirfd, string linkpath);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int fchownat(int dirfd, string path, uint uid, uint gid, int flags);

    [LibraryImport(L, SetLastError = true)]
    public static partial int fchown(int fd, uint uid, uint gid);

    [LibraryImport(L, SetLastError = true)]
    public static partial int fchmod(int fd, uint mode);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkfifo(string path, int mode);

    [LibraryImport(L, SetLastError = true)]
    public static partial int flock(int fd, int op);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chdir(string path);

    [LibraryImport(L, SetLastError = true)]
    public static partial int fchdir(int fd);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chroot(string path);

    [LibraryImport(L, SetLastError = true)]
    public static partial int umask(int mask);

    [LibraryImport(L, SetLastError = true)]
    public static partial int getpid();

    [LibraryImport(L, SetLastError = true)]
    public static partial int kill(int pid, int sig);

    [LibraryImport(L, SetLastError = true)]
    public static partial int waitpid(int pid, int* status, int options);

    [LibraryImport(L, SetLastError = true)]
    public static partial int setsid();

    [LibraryImport(L, SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, nint arg);

    [LibraryImport(L, SetLastError = true)]
    public static partial int poll(PollFd* fds, ulong nfds, int timeout);

    [LibraryImport(L, SetLastError = true)]
    public static partial long syscall(long number, long a1, long a2, long a3, long a4, long a5);

    [LibraryImport(L, SetLastError = true)]
    public static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [LibraryImport(L, SetLastError = true)]
    public static partial int isatty(int fd);
}

[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short Revents;
}

internal static unsafe partial class Libc
{
    [LibraryImport(L, SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);
}

internal static unsafe partial class Libc
{
    [LibraryImport(L, SetLastError = true)]
    public static partial int fstat(int fd, StatBuf* buf);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int stat(string path, StatBuf* buf);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int fstatat(int dirfd, string path, StatBuf* buf, int flags);
}

internal static unsafe partial class Libc
{
    [LibraryImport(L, SetLastError = true)]
    public static partial int tcgetattr(int fd, byte* termios);

    [LibraryImport(L, SetLastError = true)]
    public static partial int tcsetattr(int fd, int action, byte* termios);

    [LibraryImport(L)]
    public static partial void cfmakeraw(byte* termios);
}
