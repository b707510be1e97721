using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Cgroups;

/// <summary>Loads a device program and attaches it to a cgroup v2 directory.</summary>
public static unsafe class DeviceProgramLoader
{
    private const int BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8, BPF_PROG_TYPE_CGROUP_DEVICE = 15,
        BPF_CGROUP_DEVICE = 6, BPF_F_ALLOW_MULTI = 2;

    public static void Attach(string cgroupDir, byte[] program)
    {
        var license = "Apache\0"u8.ToArray();
        int prog;
        fixed (byte* insns = program)
        fixed (byte* lic = license)
        {
            var attr = stackalloc byte[128];
            new Span<byte>(attr, 128).Clear();
            *(uint*)attr = BPF_PROG_TYPE_CGROUP_DEVICE;
            *(uint*)(attr + 4) = (uint)(program.Length / 8);
            *(ulong*)(attr + 8) = (ulong)insns;
            *(ulong*)(attr + 16) = (ulong)lic;
            prog = (int)LinuxException.Check(Libc.syscall(SYS_bpf, BPF_PROG_LOAD, (long)attr, 128, 0, 0), "load device program");
        }
        // The attached program stays with the cgroup; our fd of it goes either way.
        using var progFd = new Fd(prog);
        using var dir = new Fd(Sys.Open(cgroupDir, O_RDONLY | O_DIRECTORY));
        var attach = stackalloc byte[128];
        new Span<byte>(attach, 128).Clear();
        *(uint*)attach = (uint)dir.Value;
        *(uint*)(attach + 4) = (uint)prog;
        *(uint*)(attach + 8) = BPF_CGROUP_DEVICE;
        *(uint*)(attach + 12) = BPF_F_ALLOW_MULTI;
        LinuxException.Check(Libc.syscall(SYS_bpf, BPF_PROG_ATTACH, (long)attach, 128, 0, 0), $"attach device program to {cgroupDir}");
    }
}
