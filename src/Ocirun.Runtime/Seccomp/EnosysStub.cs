namespace Ocirun.Runtime.Seccomp;

/// <summary>
/// A few BPF instructions put in front of a compiled filter, as runc does: a native syscall
/// newer than every syscall the profile names returns ENOSYS instead of the profile's default
/// action. A profile cannot have meant to refuse a syscall it did not know, and programs (glibc
/// with clone3, for one) fall back to an older call on ENOSYS but fail on EPERM. Other
/// architectures and x32 numbers go to the filter unchanged.
/// </summary>
public static class EnosysStub
{
    private const uint AuditArchX86_64 = 0xC000003E, X32SyscallBit = 0x40000000, RetErrno = 0x00050000, Enosys = 38;

    // struct sock_filter codes: BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_JMP|BPF_JGE|BPF_K,
    // BPF_JMP|BPF_JGT|BPF_K, BPF_RET|BPF_K; seccomp_data has nr at offset 0 and arch at 4.
    private const ushort LdAbs = 0x20, Jeq = 0x15, Jge = 0x35, Jgt = 0x25, Ret = 0x06;

    /// <summary>The stub for a profile whose newest native syscall is newest; falls through into the filter.</summary>
    public static byte[] For(int newest) =>
    [
        .. Insn(LdAbs, 0, 0, 4),                          // 0: A = arch
        .. Insn(Jeq, 0, 4, AuditArchX86_64),               // 1: not x86_64 → 6
        .. Insn(LdAbs, 0, 0, 0),                          // 2: A = nr
        .. Insn(Jge, 2, 0, X32SyscallBit),                 // 3: x32 → 6
        .. Insn(Jgt, 0, 1, (uint)newest),                  // 4: known → 6
        .. Insn(Ret, 0, 0, RetErrno | Enosys),             // 5: return -ENOSYS
    ];                                                     // 6: the filter

    private static byte[] Insn(ushort code, byte jt, byte jf, uint k)
    {
        var b = new byte[8];
        BitConverter.GetBytes(code).CopyTo(b, 0);
        b[2] = jt;
        b[3] = jf;
        BitConverter.GetBytes(k).CopyTo(b, 4);
        return b;
    }
}
