using System.Runtime.InteropServices;

namespace Ocirun.Runtime.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string? source, string target, string? fstype, ulong flags, string? data);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statfs(string path, StatFs* buf);

    [LibraryImport(L, SetLastError = true)]
    public static partial int fstatfs(int fd, StatFs* buf);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int sethostname(string name, nint len);

    [LibraryImport(L, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int setdomainname(string name, nint len);
}

/// <summary>struct statfs on x86_64/aarch64 (glibc, 64-bit fields).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct StatFs
{
    public long Type;
    public long Bsize;
    public ulong Blocks;
    public ulong Bfree;
    public ulong Bavail;
    public ulong Files;
    public ulong Ffree;
    public long Fsid;
    public long Namelen;
    public long Frsize;
    public long Flags;
    public fixed long Spare[4];
}
