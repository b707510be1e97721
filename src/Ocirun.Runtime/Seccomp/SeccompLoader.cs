using static Ocirun.Runtime.Interop.Consts;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;

namespace Ocirun.Runtime.Seccomp;

/// <summary>Loads a compiled filter into the calling thread (or, with TSYNC, all threads) with seccomp(2).</summary>
internal static unsafe class SeccompLoader
{
    private const int SECCOMP_SET_MODE_FILTER = 1;

    /// <summary>Returns the notification fd when flags ask for a listener, else -1.</summary>
    public static int Load(byte[] bpf, uint flags)
    {
        fixed (byte* filter = bpf)
        {
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }, 8-byte instructions.
            var prog = stackalloc nint[2];
            prog[0] = bpf.Length / 8;
            prog[1] = (nint)filter;
            long r = LinuxException.Check(Libc.syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, (long)prog, 0, 0), "load seccomp filter");
            return (flags & SeccompCompiler.NewListener) != 0 ? (int)r : -1;
        }
    }
}
