using System.Runtime.InteropServices;

namespace Ocirun.Runtime.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(L, SetLastError = true)]
    public static partial int setresuid(uint r, uint e, uint s);

    [LibraryImport(L, SetLastError = true)]
    public static partial int setresgid(uint r, uint e, uint s);

    [LibraryImport(L, SetLastError = true)]
    public static partial int setgroups(nint size, uint* list);

    [LibraryImport(L)]
    public static partial uint geteuid();

    [LibraryImport(L)]
    public static partial uint getegid();

    [LibraryImport(L, SetLastError = true)]
    public static partial int setrlimit(int resource, RLimit* rlim);

    [LibraryImport(L, SetLastError = true)]
    public static partial int prlimit(int pid, int resource, RLimit* newLimit, RLimit* oldLimit);
}

[StructLayout(LayoutKind.Sequential)]
internal struct RLimit
{
    public ulong Cur;
    public ulong Max;
}
