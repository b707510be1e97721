namespace Ocirun.Spec.Known;

/// <summary>Linux capability names (as the spec writes them) and their numbers.</summary>
public static class CapabilityNames
{
    public static readonly IReadOnlyList<string> All = new[]
    {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    };

    public static int Last => All.Count - 1;

    /// <summary>The capability number, or -1 for an unknown name.</summary>
    public static int Number(string name)
    {
        for (int i = 0; i < All.Count; i++)
        {
            // Exact, as runc's table: "cap_sys_admin" is no capability there, and granting it
            // here gave a container CAP_SYS_ADMIN that runc leaves out.
            if (string.Equals(All[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }
}
