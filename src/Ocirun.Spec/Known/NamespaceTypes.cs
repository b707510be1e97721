namespace Ocirun.Spec.Known;

/// <summary>Namespace types of the spec with their CLONE_NEW* flags and /proc/PID/ns names.</summary>
public static class NamespaceTypes
{
    public const string Pid = "pid", Network = "network", Mount = "mount", Ipc = "ipc", Uts = "uts",
        User = "user", Cgroup = "cgroup", Time = "time";

    public static readonly IReadOnlyList<(string Type, ulong CloneFlag, string ProcName)> All = new[]
    {
        // The order is the order in which namespaces are joined: user first, so that the
        // other joins are done with the capabilities of the target's user namespace.
        (User, 0x10000000UL, "user"),
        (Ipc, 0x08000000UL, "ipc"),
        (Uts, 0x04000000UL, "uts"),
        (Network, 0x40000000UL, "net"),
        (Pid, 0x20000000UL, "pid"),
        (Mount, 0x00020000UL, "mnt"),
        (Cgroup, 0x02000000UL, "cgroup"),
        (Time, 0x00000080UL, "time"),
    };

    public static bool IsKnown(string type) => All.Any(n => n.Type == type);

    public static ulong CloneFlag(string type) => All.First(n => n.Type == type).CloneFlag;

    public static string ProcName(string type) => All.First(n => n.Type == type).ProcName;
}
