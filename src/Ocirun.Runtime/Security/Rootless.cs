using Ocirun.Runtime.Interop;

namespace Ocirun.Runtime.Security;

/// <summary>
/// Whether ocirun runs without the host's root, by runc's rules: a caller whose euid is not
/// 0, or root inside a user namespace that does not map the whole id range, cannot write the
/// host's cgroups or id maps freely.
/// </summary>
public static class Rootless
{
    public static uint Euid => Libc.geteuid();
    public static uint Egid => Libc.getegid();

    /// <summary>Whether this process runs in a user namespace other than the initial one.</summary>
    public static bool InUserNamespace() => !MapsEverything(File.ReadAllText("/proc/self/uid_map"));

    /// <summary>The initial namespace's uid_map is the single line "0 0 4294967295".</summary>
    public static bool MapsEverything(string uidMap)
    {
        var fields = uidMap.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return fields is ["0", "0", "4294967295"];
    }

    // The user namespace is looked at (a read of /proc/self/uid_map) only when the answer depends on it.

    /// <summary>
    /// --rootless true|false|auto for cgroups: auto means rootless when euid is not 0, or
    /// root in a user namespace (runc asks systemd there; its fallback, rootful, is taken for
    /// the systemd driver).
    /// </summary>
    public static bool UseRootlessCgroups(string flag, uint euid, Func<bool> inUserNamespace, bool systemdCgroup) => flag switch
    {
        "true" => true,
        "false" => false,
        _ => euid != 0 || !systemdCgroup && inUserNamespace(),
    };

    /// <summary>
    /// Whether the default state root is $XDG_RUNTIME_DIR's: for a non-root euid, and for root
    /// in a user namespace unless $USER says root (runc's rule; the initial namespace's root
    /// keeps /run for compatibility).
    /// </summary>
    public static bool HonorXdgRuntimeDir(uint euid, Func<bool> inUserNamespace, string? user) =>
        euid != 0 || user != "root" && inUserNamespace();
}
