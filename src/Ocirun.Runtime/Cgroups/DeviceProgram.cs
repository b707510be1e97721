using Ocirun.Spec.Model;

namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// Device rules as an eBPF program for cgroup v2 (BPF_PROG_TYPE_CGROUP_DEVICE), which has no
/// devices.allow file. Built to behave like the v1 controller: a rule for all devices resets the
/// default; among the others the last match wins.
/// </summary>
public static class DeviceProgram
{
    // Access bits of bpf_cgroup_dev_ctx.access_type (upper 16 bits) and device types (lower 16).
    private const int AccMknod = 1, AccRead = 2, AccWrite = 4, TypeBlock = 1, TypeChar = 2;

    /// <summary>The program's instructions, 8 bytes each.</summary>
    public static byte[] Build(IEnumerable<DeviceCgroup> rules)
    {
        bool defaultAllow = true;
        var specific = new List<DeviceCgroup>();
        foreach (var r in rules)
        {
            if (DeviceRules.Line(r) == "a" || (r.Type is null or "a" && r.Major is null or -1 && r.Minor is null or -1 && Access(r.Access) == 7))
            {
                defaultAllow = r.Allow;
                specific.Clear();
            }
            else
            {
                specific.Add(r);
            }
        }
        var insns = new List<byte[]>
        {
            Ldx(2, 0),          // r2 = ctx->access_type
            Mov64(3, 2),
            Alu32Imm(0x54, 3, 0xffff), // r3 = type
            Alu32Imm(0x74, 2, 16),     // r2 = access
            Ldx(4, 4),          // r4 = major
            Ldx(5, 8),          // r5 = minor
        };
        // Last rule first: the first match in this order is the last in the spec.
        foreach (var r in Enumerable.Reverse(specific))
        {
            var block = new List<byte[]>();
            int type = r.Type switch { "b" => TypeBlock, "c" => TypeChar, _ => 0 };
            if (type != 0)
            {
                block.Add(JneImm(3, type));
            }
            if (r.Major is { } major and >= 0)
            {
                block.Add(JneImm(4, (int)major));
            }
            if (r.Minor is { } minor and >= 0)
            {
                block.Add(JneImm(5, (int)minor));
            }
            int access = Access(r.Access);
            if (access != 7)
            {
                // Skip the rule when anything asked for is outside its access.
                block.Add(Mov64(6, 2));
                block.Add(Alu32Imm(0x54, 6, ~access & 7));
                block.Add(JneImm(6, 0));
            }
            block.Add(Mov64Imm(0, r.Allow ? 1 : 0));
            block.Add(Exit());
            // Every jump in the block skips to the block's end.
            for (int i = 0; i < block.Count; i++)
            {
                if (block[i][0] == 0x55)
                {
                    BitConverter.GetBytes((short)(block.Count - i - 1)).CopyTo(block[i], 2);
                }
            }
            insns.AddRange(block);
        }
        insns.Add(Mov64Imm(0, defaultAllow ? 1 : 0));
        insns.Add(Exit());
        return insns.SelectMany(i => i).ToArray();
    }

    public static int Access(string? access)
    {
        if (string.IsNullOrEmpty(access))
        {
            return 7;
        }
        int a = 0;
        foreach (var c in access)
        {
            a |= c switch { 'r' => AccRead, 'w' => AccWrite, 'm' => AccMknod, _ => 0 };
        }
        return a;
    }

    private static byte[] Insn(byte code, int dst, int src, short off, int imm)
    {
        var b = new byte[8];
        b[0] = code;
        b[1] = (byte)((src << 4) | dst);
        BitConverter.GetBytes(off).CopyTo(b, 2);
        BitConverter.GetBytes(imm).CopyTo(b, 4);
        return b;
    }

    private static byte[] Ldx(int dst, short off) => Insn(0x61, dst, 1, off, 0);      // BPF_LDX|BPF_MEM|BPF_W
    private static byte[] Mov64(int dst, int src) => Insn(0xbf, dst, src, 0, 0);      // BPF_ALU64|BPF_MOV|BPF_X
    private static byte[] Mov64Imm(int dst, int imm) => Insn(0xb7, dst, 0, 0, imm);   // BPF_ALU64|BPF_MOV|BPF_K
    private static byte[] Alu32Imm(byte op, int dst, int imm) => Insn(op, dst, 0, 0, imm);
    private static byte[] JneImm(int dst, int imm) => Insn(0x55, dst, 0, 0, imm);     // BPF_JMP|BPF_JNE|BPF_K
    private static byte[] Exit() => Insn(0x95, 0, 0, 0, 0);
}
