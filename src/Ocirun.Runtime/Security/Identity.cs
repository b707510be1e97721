using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using Ocirun.Spec.Known;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Security;

/// <summary>Switches the init to the process's user with its capabilities, rlimits and no_new_privs.</summary>
internal static unsafe class Identity
{
    /// <summary>RLIMIT_AS and RLIMIT_DATA: the limits a managed runtime cannot live under once they are low.</summary>
    public static bool LimitsAddressSpace(Spec.Model.Rlimit r) => r.Type is "RLIMIT_AS" or "RLIMIT_DATA";

    public static void ApplyRlimits(IEnumerable<Spec.Model.Rlimit>? rlimits)
    {
        foreach (var r in rlimits ?? [])
        {
            var lim = new RLimit { Cur = r.Soft, Max = r.Hard };
            LinuxException.Check(Libc.setrlimit(RlimitNames.Number(r.Type), &lim),
                $"error setting rlimit type {r.Type}");
        }
    }

    /// <summary>
    /// Order matters: the bounding set is dropped while we are root, KEEPCAPS keeps the
    /// permitted set across setuid, and capset runs last with the final ids.
    /// </summary>
    public static void Switch(Spec.Model.Process process, bool setgroupsAllowed)
    {
        int last = CapabilitySet.KernelLastCap();
        var caps = CapabilitySet.From(process.Capabilities);
        caps.DropBounding(last);
        LinuxException.Check(Libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl keepcaps");
        if (setgroupsAllowed)
        {
            var groups = (process.User.AdditionalGids ?? []).ToArray();
            fixed (uint* g = groups)
            {
                LinuxException.Check(Libc.setgroups(groups.Length, g), "setgroups");
            }
        }
        var u = process.User;
        FixStdioOwner(u.Uid);
        LinuxException.Check(Libc.setresgid(u.Gid, u.Gid, u.Gid), $"setresgid {u.Gid}");
        LinuxException.Check(Libc.setresuid(u.Uid, u.Uid, u.Uid), $"setresuid {u.Uid}");
        LinuxException.Check(Libc.prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl clear keepcaps");
        caps.Apply(last);
        if (process.NoNewPrivileges)
        {
            LinuxException.Check(Libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl no_new_privs");
        }
    }

    /// <summary>
    /// stdio made outside the container (the pty slave, the caller's pipes) is handed to the
    /// process's user, as runc does, so a non-root process can use its own terminal. Only the
    /// owner changes (devpts gives the tty group); /dev/null and what is already the user's stay;
    /// ids the user namespace cannot map or a read-only /dev leave it as it is.
    /// </summary>
    private static void FixStdioOwner(uint uid)
    {
        StatBuf devNull;
        if (Libc.stat("/dev/null", &devNull) < 0)
        {
            return;
        }
        for (int fd = 0; fd < 3; fd++)
        {
            StatBuf st;
            if (Libc.fstat(fd, &st) < 0 || st.Uid == uid || ((st.Mode & S_IFMT) == S_IFCHR && st.Rdev == devNull.Rdev))
            {
                continue;
            }
            if (Libc.fchown(fd, uid, uint.MaxValue) < 0 && Marshal.GetLastPInvokeError() is not (EINVAL or EPERM or EROFS))
            {
                throw LinuxException.Last($"chown stdio fd {fd}");
            }
        }
    }
}
