using static Ocirun.Runtime.Interop.Consts;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;

namespace Ocirun.Runtime.Security;

/// <summary>Personality, I/O priority, scheduler and session keyring of the container process.</summary>
internal static unsafe class ProcessAttributes
{
    private const int KEYCTL_JOIN_SESSION_KEYRING = 1, IOPRIO_WHO_PROCESS = 1;

    public static readonly IReadOnlyDictionary<string, uint> Personalities = new Dictionary<string, uint>
    {
        ["LINUX"] = 0, ["LINUX32"] = 8,
    };

    public static readonly IReadOnlyDictionary<string, int> IoClasses = new Dictionary<string, int>
    {
        ["IOPRIO_CLASS_RT"] = 1, ["IOPRIO_CLASS_BE"] = 2, ["IOPRIO_CLASS_IDLE"] = 3,
    };

    public static readonly IReadOnlyDictionary<string, uint> Policies = new Dictionary<string, uint>
    {
        ["SCHED_OTHER"] = 0, ["SCHED_FIFO"] = 1, ["SCHED_RR"] = 2, ["SCHED_BATCH"] = 3, ["SCHED_ISO"] = 4,
        ["SCHED_IDLE"] = 5, ["SCHED_DEADLINE"] = 6,
    };

    public static readonly IReadOnlyDictionary<string, ulong> SchedFlags = new Dictionary<string, ulong>
    {
        ["SCHED_FLAG_RESET_ON_FORK"] = 1, ["SCHED_FLAG_RECLAIM"] = 2, ["SCHED_FLAG_DL_OVERRUN"] = 4,
        ["SCHED_FLAG_KEEP_POLICY"] = 8, ["SCHED_FLAG_KEEP_PARAMS"] = 16, ["SCHED_FLAG_UTIL_CLAMP_MIN"] = 32,
        ["SCHED_FLAG_UTIL_CLAMP_MAX"] = 64,
    };

    /// <summary>A session keyring of the container's own, so it cannot see the host's keys (runc's default).</summary>
    public static void JoinSessionKeyring(string id)
    {
        fixed (byte* name = Linux.Sys.CString("_ses." + id))
        {
            if (Libc.syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, (long)name, 0, 0, 0) < 0)
            {
                int e = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                // Kernels without keyrings (ENOSYS) or that refuse them to us (EACCES, EPERM): as runc, carry on.
                if (e is not (Consts.ENOSYS or 13 or Consts.EPERM))
                {
                    throw new LinuxException("join session keyring", e);
                }
            }
        }
    }

    /// <param name="cpusPinned">The container has a cpuset (see <see cref="SetScheduler"/>).</param>
    public static void Apply(Spec.Model.Spec spec, bool cpusPinned)
    {
        if (spec.Linux?.Personality is { } p)
        {
            LinuxException.Check(Libc.syscall(SYS_personality, Personalities[p.Domain], 0, 0, 0, 0), $"personality {p.Domain}");
        }
        var process = spec.Process!;
        if (process.IoPriority is { } io)
        {
            long value = ((long)IoClasses[io.Class] << 13) | (uint)io.Priority;
            LinuxException.Check(Libc.syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, value, 0, 0), "ioprio_set");
        }
        if (process.Scheduler is { } s)
        {
            SetScheduler(s, cpusPinned);
        }
    }

    /// <param name="pinned">The container has a cpuset: SCHED_DEADLINE then fails with EPERM
    /// (sched_setattr(2) wants an affinity of every CPU), which runc names for what it is.</param>
    private static void SetScheduler(Spec.Model.Scheduler s, bool pinned)
    {
        // struct sched_attr (SCHED_ATTR_SIZE_VER0 = 48 bytes).
        var attr = stackalloc byte[48];
        new Span<byte>(attr, 48).Clear();
        *(uint*)attr = 48;
        *(uint*)(attr + 4) = Policies[s.Policy];
        ulong flags = 0;
        foreach (var f in s.Flags ?? [])
        {
            flags |= SchedFlags[f];
        }
        *(ulong*)(attr + 8) = flags;
        *(int*)(attr + 16) = s.Nice ?? 0;
        *(uint*)(attr + 20) = (uint)(s.Priority ?? 0);
        *(ulong*)(attr + 24) = s.Runtime ?? 0;
        *(ulong*)(attr + 32) = s.Deadline ?? 0;
        *(ulong*)(attr + 40) = s.Period ?? 0;
        if (Libc.syscall(SYS_sched_setattr, 0, (long)attr, 0, 0, 0) < 0)
        {
            int e = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw e == Consts.EPERM && pinned
                ? new ContainerException("process scheduler can't be used together with AllowedCPUs")
                : new LinuxException("error setting scheduler", e);
        }
    }
}
