namespace Ocirun.Spec.Known;

/// <summary>The OCI seccomp vocabulary and the kernel/libseccomp values behind it.</summary>
public static class SeccompNames
{
    public const uint RetKillProcess = 0x80000000, RetKillThread = 0, RetTrap = 0x00030000, RetErrno = 0x00050000,
        RetUserNotif = 0x7fc00000, RetTrace = 0x7ff00000, RetLog = 0x7ffc0000, RetAllow = 0x7fff0000;

    public const uint Eperm = 1;

    public static readonly IReadOnlyDictionary<string, uint> Architectures = new Dictionary<string, uint>
    {
        ["SCMP_ARCH_X86"] = 0x40000003, ["SCMP_ARCH_X86_64"] = 0xc000003e, ["SCMP_ARCH_X32"] = 0x4000003e,
        ["SCMP_ARCH_ARM"] = 0x40000028, ["SCMP_ARCH_AARCH64"] = 0xc00000b7, ["SCMP_ARCH_MIPS"] = 0x8,
        ["SCMP_ARCH_MIPS64"] = 0x80000008, ["SCMP_ARCH_MIPS64N32"] = 0xa0000008, ["SCMP_ARCH_MIPSEL"] = 0x40000008,
        ["SCMP_ARCH_MIPSEL64"] = 0xc0000008, ["SCMP_ARCH_MIPSEL64N32"] = 0xe0000008, ["SCMP_ARCH_PPC"] = 0x14,
        ["SCMP_ARCH_PPC64"] = 0x80000015, ["SCMP_ARCH_PPC64LE"] = 0xc0000015, ["SCMP_ARCH_S390"] = 0x16,
        ["SCMP_ARCH_S390X"] = 0x80000016, ["SCMP_ARCH_RISCV64"] = 0xc00000f3,
    };

    public static readonly IReadOnlyDictionary<string, int> Operators = new Dictionary<string, int>
    {
        ["SCMP_CMP_NE"] = 1, ["SCMP_CMP_LT"] = 2, ["SCMP_CMP_LE"] = 3, ["SCMP_CMP_EQ"] = 4, ["SCMP_CMP_GE"] = 5,
        ["SCMP_CMP_GT"] = 6, ["SCMP_CMP_MASKED_EQ"] = 7,
    };

    /// <summary>
    /// seccomp(2) SECCOMP_FILTER_FLAG_* by the names the spec uses. TSYNC is known but sets
    /// nothing, as in runc: only the thread that execs matters, and the kernel refuses TSYNC
    /// together with a notification listener.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, uint> Flags = new Dictionary<string, uint>
    {
        ["SECCOMP_FILTER_FLAG_TSYNC"] = 0, ["SECCOMP_FILTER_FLAG_LOG"] = 2, ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"] = 4,
        ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"] = WaitKillableRecv,
    };

    /// <summary>Only meaningful with a listener (the kernel refuses it otherwise); libseccomp drops it then.</summary>
    public const uint WaitKillableRecv = 32;

    public static readonly IReadOnlyList<string> Actions =
    [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ];

    /// <summary>The filter return value of an action; errno actions carry errnoRet (EPERM by default).</summary>
    public static uint Action(string action, uint? errnoRet) => action switch
    {
        "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD" => RetKillThread,
        "SCMP_ACT_KILL_PROCESS" => RetKillProcess,
        "SCMP_ACT_TRAP" => RetTrap,
        "SCMP_ACT_ERRNO" => RetErrno | ((errnoRet ?? Eperm) & 0xffff),
        "SCMP_ACT_TRACE" => RetTrace | ((errnoRet ?? Eperm) & 0xffff),
        "SCMP_ACT_ALLOW" => RetAllow,
        "SCMP_ACT_LOG" => RetLog,
        "SCMP_ACT_NOTIFY" => RetUserNotif,
        _ => throw new SpecValidationException("seccomp", $"unknown seccomp action \"{action}\""),
    };
}
