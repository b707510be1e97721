using System.Runtime.InteropServices;

namespace Ocirun.Runtime.Interop;

/// <summary>
/// The system's libseccomp, used only in the parent to compile a profile to BPF; the init
/// never calls it (it loads the finished program with seccomp(2)).
/// </summary>
internal static unsafe partial class Libseccomp
{
    private const string L = "libseccomp";

    [LibraryImport(L)]
    public static partial nint seccomp_init(uint defaultAction);

    [LibraryImport(L)]
    public static partial void seccomp_release(nint ctx);

    [LibraryImport(L)]
    public static partial int seccomp_arch_add(nint ctx, uint archToken);

    [LibraryImport(L)]
    public static partial int seccomp_attr_set(nint ctx, int attr, uint value);

    [LibraryImport(L, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int seccomp_syscall_resolve_name(string name);

    [LibraryImport(L)]
    public static partial int seccomp_rule_add_array(nint ctx, uint action, int syscall, uint argCount, ScmpArgCmp* args);

    [LibraryImport(L)]
    public static partial int seccomp_export_bpf(nint ctx, int fd);

    [LibraryImport(L)]
    public static partial ScmpVersion* seccomp_version();

    public const int SCMP_FLTATR_CTL_NNP = 3;
}

[StructLayout(LayoutKind.Sequential)]
internal struct ScmpArgCmp
{
    public uint Arg;
    public int Op;
    public ulong DatumA;
    public ulong DatumB;
}

[StructLayout(LayoutKind.Sequential)]
internal struct ScmpVersion
{
    public uint Major;
    public uint Minor;
    public uint Micro;
}
