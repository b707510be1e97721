using Ocirun.Runtime.Interop;
using Ocirun.Spec.Model;
using Ocirun.Spec.Validation;

namespace Ocirun.Runtime.Linux;

/// <summary>
/// CPU affinity of container processes, as runc 1.3 sets it: a process exec'd with
/// execCPUAffinity starts (namespace stage and all) on the initial CPUs and runs its program
/// on the final ones; every other container process gets every CPU back once it is in its
/// cgroups, so a caller pinned to one CPU (a kubelet, a taskset) never pins the container.
/// </summary>
internal static unsafe class CpuAffinity
{
    /// <summary>Every CPU there could be: the kernel clamps it to the CPUs it has and to the cpuset.</summary>
    private static readonly byte[] Every = Enumerable.Repeat((byte)0xff, CpuList.MaxCpu / 8).ToArray();

    /// <summary>
    /// Runs spawn with the calling thread on the initial CPUs (the child inherits them), then
    /// puts the thread back where it was.
    /// </summary>
    public static int SpawnOnInitialCpus(ExecCpuAffinity? affinity, Func<int> spawn)
    {
        if (CpuList.Parse(affinity?.Initial ?? "") is not { } initial)
        {
            return spawn();
        }
        var saved = new byte[Every.Length];
        fixed (byte* s = saved)
        {
            LinuxException.Check(Libc.sched_getaffinity(0, saved.Length, s), "sched_getaffinity");
            Set(initial, "error setting initial CPU affinity");
            try
            {
                return spawn();
            }
            finally
            {
                Libc.sched_setaffinity(0, saved.Length, s);
            }
        }
    }

    /// <summary>
    /// In the container process, once it is in its cgroups: the final CPUs; with only an
    /// initial set, those stay; with none (and for the init) every CPU the cpuset allows.
    /// </summary>
    public static void ApplyFinal(ExecCpuAffinity? affinity)
    {
        if (CpuList.Parse(affinity?.Final ?? "") is { } final)
        {
            Set(final, "error setting final CPU affinity");
        }
        else if (string.IsNullOrEmpty(affinity?.Initial))
        {
            fixed (byte* m = Every)
            {
                // Best effort, as in runc: the process then keeps the caller's CPUs.
                Libc.sched_setaffinity(0, Every.Length, m);
            }
        }
    }

    private static void Set(byte[] mask, string what)
    {
        fixed (byte* m = mask)
        {
            LinuxException.Check(Libc.sched_setaffinity(0, mask.Length, m), what);
        }
    }
}
