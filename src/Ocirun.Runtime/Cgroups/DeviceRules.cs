using Ocirun.Spec.Model;

namespace Ocirun.Runtime.Cgroups;

/// <summary>The device rules every container gets, and the text form of one rule.</summary>
public static class DeviceRules
{
    /// <summary>
    /// Devices every container may use whatever the spec says, as runc 1.3 allows them: mknod
    /// of any node (the init creates linux.devices inside its cgroup; a node is no access by
    /// itself), and read/write of null, zero, full, random, urandom, tty, the container's ptys
    /// (its /dev/console is one of them) and /dev/ptmx. Not the host's console (5:1), as runc;
    /// not tun (10:200), which runc still allows for old users: a spec that wants it says so.
    /// Appended after the spec's rules.
    /// </summary>
    public static readonly DeviceCgroup[] Defaults =
    [
        new() { Allow = true, Type = "c", Access = "m" }, new() { Allow = true, Type = "b", Access = "m" },
        Allow('c', 1, 3), Allow('c', 1, 5), Allow('c', 1, 7), Allow('c', 1, 8), Allow('c', 1, 9), Allow('c', 5, 0),
        Allow('c', 5, 2), Allow('c', 136, null),
    ];

    /// <summary>"c 1:3 rwm"; a rule for every type is "a", as the kernel reads no more of it.</summary>
    public static string Line(DeviceCgroup r)
    {
        var type = string.IsNullOrEmpty(r.Type) ? "a" : r.Type;
        if (type == "a")
        {
            return "a";
        }
        var access = string.IsNullOrEmpty(r.Access) ? "rwm" : r.Access;
        return $"{type} {Num(r.Major)}:{Num(r.Minor)} {access}";
    }

    private static string Num(long? n) => n is null or -1 ? "*" : n.Value.ToString();

    private static DeviceCgroup Allow(char type, long major, long? minor) =>
        new() { Allow = true, Type = type.ToString(), Major = major, Minor = minor, Access = "rwm" };

    /// <summary>
    /// What a container may use: resources.devices, then <see cref="Defaults"/>. Only these
    /// decide access: nodes in linux.devices are created, never allowed by that alone.
    /// </summary>
    public static DeviceState Target(List<DeviceCgroup>? rules) => DeviceState.FromRules((rules ?? []).Concat(Defaults));
}
