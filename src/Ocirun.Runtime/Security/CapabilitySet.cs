using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using Ocirun.Spec.Known;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Security;

/// <summary>The five capability sets of a process as bit masks.</summary>
public sealed record CapabilitySet(ulong Bounding, ulong Effective, ulong Inheritable, ulong Permitted, ulong Ambient)
{
    public static CapabilitySet From(Spec.Model.Capabilities? caps) => new(
        Mask(caps?.Bounding), Mask(caps?.Effective), Mask(caps?.Inheritable), Mask(caps?.Permitted), Mask(caps?.Ambient));

    public static ulong Mask(IEnumerable<string>? names)
    {
        ulong m = 0;
        foreach (var n in names ?? [])
        {
            int c = CapabilityNames.Number(n);
            if (c >= 0)
            {
                m |= 1UL << c;
            }
        }
        return m;
    }

    /// <summary>
    /// The names in caps that are no capability, or one the running kernel lacks, each once and
    /// sorted (runc prints its map's keys sorted):
    /// runc warns of them and goes on without them (a config written for a newer kernel, or
    /// with a typo, still runs), and so does ocirun.
    /// </summary>
    public static List<string> Unavailable(Spec.Model.Capabilities? caps, int lastCap) =>
        new[] { caps?.Bounding, caps?.Effective, caps?.Inheritable, caps?.Permitted, caps?.Ambient }
            .SelectMany(set => set ?? []).Where(n => CapabilityNames.Number(n) is var c && (c < 0 || c > lastCap))
            .Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>Warns, in runc's words, of the capabilities in caps that will be left out.</summary>
    public static void WarnOfUnavailable(Spec.Model.Capabilities? caps)
    {
        if (Unavailable(caps, KernelLastCap()) is { Count: > 0 } names)
        {
            Warnings.Write($"ignoring unknown or unavailable capabilities: [{string.Join(" ", names)}]");
        }
    }

    /// <summary>The highest capability the running kernel knows.</summary>
    public static int KernelLastCap()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim());
        }
        catch (IOException)
        {
            return CapabilityNames.Last;
        }
    }

    /// <summary>Drops everything outside the bounding set; must run while still privileged.</summary>
    internal void DropBounding(int lastCap)
    {
        for (int c = 0; c <= lastCap; c++)
        {
            if ((Bounding & (1UL << c)) == 0)
            {
                LinuxException.Check(Libc.prctl(PR_CAPBSET_DROP, (ulong)c, 0, 0, 0), $"drop bounding capability {c}");
            }
        }
    }

    /// <summary>Sets effective, permitted and inheritable, then the ambient set (which needs the first two).</summary>
    internal unsafe void Apply(int lastCap)
    {
        ulong valid = lastCap >= 63 ? ulong.MaxValue : (1UL << (lastCap + 1)) - 1;
        uint* hdr = stackalloc uint[2];
        hdr[0] = 0x20080522; // _LINUX_CAPABILITY_VERSION_3
        hdr[1] = 0;
        uint* data = stackalloc uint[6];
        ulong e = Effective & valid, p = Permitted & valid, i = Inheritable & valid;
        data[0] = (uint)e; data[1] = (uint)p; data[2] = (uint)i;
        data[3] = (uint)(e >> 32); data[4] = (uint)(p >> 32); data[5] = (uint)(i >> 32);
        LinuxException.Check(Libc.syscall(SYS_capset, (long)hdr, (long)data, 0, 0, 0), "capset");
        Libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        for (int c = 0; c <= lastCap; c++)
        {
            if ((Ambient & (1UL << c)) != 0)
            {
                // Like runc, an ambient capability the kernel refuses (not in permitted and
                // inheritable) is skipped rather than failing the container.
                Libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (ulong)c, 0, 0);
            }
        }
    }
}
