using System.Runtime.InteropServices;

// What differs between Linux architectures, for x86_64: system call numbers, the open flags
// whose values the generic ABI does not fix, and glibc's struct stat. The build refuses any
// other target (Ocirun.Runtime.csproj): another architecture needs a file like this one.
namespace Ocirun.Runtime.Interop;

internal static partial class Consts
{
    public const int O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000;

    public const long SYS_pivot_root = 155, SYS_capget = 125, SYS_capset = 126, SYS_setns = 308,
        SYS_unshare = 272, SYS_openat2 = 437, SYS_pidfd_open = 434, SYS_pidfd_getfd = 438,
        SYS_fsopen = 430, SYS_fsconfig = 431, SYS_fsmount = 432, SYS_close_range = 436,
        SYS_mount_setattr = 442, SYS_open_tree = 428, SYS_move_mount = 429, SYS_renameat2 = 316,
        SYS_clone3 = 435, SYS_userfaultfd = 323, SYS_seccomp = 317, SYS_bpf = 321,
        SYS_ioprio_set = 251, SYS_keyctl = 250, SYS_sched_setattr = 314, SYS_personality = 135,
        SYS_perf_event_open = 298;
}

/// <summary>struct stat of glibc on x86_64: only the fields the runtime reads are named.</summary>
[StructLayout(LayoutKind.Explicit, Size = 144)]
internal struct StatBuf
{
    [FieldOffset(0)] public ulong Dev;
    [FieldOffset(8)] public ulong Ino;
    [FieldOffset(24)] public uint Mode;
    [FieldOffset(28)] public uint Uid;
    [FieldOffset(32)] public uint Gid;
    [FieldOffset(40)] public ulong Rdev;
    [FieldOffset(48)] public long Size;
    [FieldOffset(88)] public long MtimeSec;
    [FieldOffset(96)] public long MtimeNsec;
    [FieldOffset(104)] public long CtimeSec;
    [FieldOffset(112)] public long CtimeNsec;
}
