using System.Runtime.InteropServices;

namespace Ocirun.Runtime.Interop;

internal static unsafe partial class Libc
{
    // posix_spawn runs no managed code in the child (glibc uses clone(CLONE_VM|CLONE_VFORK)
    // and execs at once), which is what makes it safe from a multithreaded .NET process.
    [LibraryImport(L)]
    public static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(L)]
    public static partial int posix_spawn_file_actions_init(void* fa);

    [LibraryImport(L)]
    public static partial int posix_spawn_file_actions_destroy(void* fa);

    [LibraryImport(L)]
    public static partial int posix_spawn_file_actions_adddup2(void* fa, int fd, int newfd);

    [LibraryImport(L)]
    public static partial int posix_spawn_file_actions_addclose(void* fa, int fd);

    [LibraryImport(L)]
    public static partial int posix_spawnattr_init(void* attr);

    [LibraryImport(L)]
    public static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport(L)]
    public static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(L)]
    public static partial int posix_spawnattr_setsigdefault(void* attr, ulong* sigset);

    // glibc >= 2.34: closes every fd from lowFd up in the child, after the dup2 actions before it.
    [LibraryImport(L)]
    public static partial int posix_spawn_file_actions_addclosefrom_np(void* fa, int lowFd);

    [LibraryImport(L)]
    public static partial int posix_spawnattr_setsigmask(void* attr, ulong* sigset);

    [LibraryImport(L, SetLastError = true)]
    public static partial int execve(byte* path, byte** argv, byte** envp);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int memfd_create(string name, uint flags);

    [LibraryImport(L, SetLastError = true)]
    public static partial nint sendfile(int outFd, int inFd, long* offset, nint count);
}

internal static unsafe partial class Libc
{
    [LibraryImport(L, SetLastError = true)]
    public static partial nint signal(int sig, nint handler);

    [LibraryImport(L, SetLastError = true)]
    public static partial int sigprocmask(int how, ulong* set, ulong* oldset);
}
