using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// CRIU stops each dumped task at the end of its parasite with a hardware breakpoint, which the
/// kernel makes a perf event of that task. While no task has a perf event, the first one turns
/// perf's scheduler hooks on and waits for an RCU grace period (account_event): here 14-40 ms
/// of the container's frozen time, grace periods being slow while the image hasher keeps the
/// other core busy. A checkpoint opens a perf event of its own as it starts, on a thread, so
/// that grace period passes while ocirun prepares and CRIU's breakpoint finds the hooks on.
/// The event is a disabled software dummy: it counts and records nothing. Closing it waits for
/// nothing (the kernel turns the hooks off a second later). Where perf events are refused
/// (perf_event_paranoid, a seccomp filter), CRIU waits as it would have.
/// </summary>
internal sealed unsafe class BreakpointWarmUp : IDisposable
{
    private const uint PERF_TYPE_SOFTWARE = 1;
    private const ulong PERF_COUNT_SW_DUMMY = 9;
    private const ulong Disabled = 1, ExcludeKernel = 1 << 5, ExcludeHv = 1 << 6;
    private const long PERF_FLAG_FD_CLOEXEC = 8;

    private readonly Task<int> _open;

    private BreakpointWarmUp(int pid) => _open = Task.Run(() => Open(pid));

    /// <summary>Starts opening the event, on this process's main thread (a task of its own, as CRIU's breakpoints are).</summary>
    public static BreakpointWarmUp Start() => new(Environment.ProcessId);

    private static int Open(int pid)
    {
        var attr = new PerfEventAttr
        {
            Type = PERF_TYPE_SOFTWARE,
            Size = (uint)sizeof(PerfEventAttr),
            Config = PERF_COUNT_SW_DUMMY,
            Flags = Disabled | ExcludeKernel | ExcludeHv,
        };
        return (int)Libc.syscall(SYS_perf_event_open, (long)&attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    }

    public void Dispose()
    {
        int fd = _open.Result;
        if (fd >= 0)
        {
            Libc.close(fd);
        }
    }

    /// <summary>struct perf_event_attr as of its first version (64 bytes; the kernel takes any known size).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PerfEventAttr
    {
        public uint Type, Size;
        public ulong Config, SamplePeriod, SampleType, ReadFormat, Flags;
        public uint WakeupEvents, BpType;
        public ulong BpAddr;
    }
}
