using Ocirun.Spec.Model;

namespace Ocirun.Runtime.Cgroups;

/// <summary>linux.resources.devices as v1 devices.allow/devices.deny lines.</summary>
public static class DeviceRules
{
    /// <summary>
    /// Devices every container may use whatever the spec says, as runc allows them: the
    /// default nodes, the container's ptys and /dev/ptmx.
    /// </summary>
    public static readonly DeviceCgroup[] Defaults =
    [
        Allow('c', 1, 3), Allow('c', 1, 5), Allow('c', 1, 7), Allow('c', 1, 8), Allow('c', 1, 9), Allow('c', 5, 0),
        Allow('c', 5, 1), Allow('c', 5, 2), Allow('c', 136, null), Allow('c', 10, 200),
    ];

    /// <summary>
    /// The rules to apply at create: the spec's, then access to the nodes linux.devices asks
    /// for (a container may always use the devices it was given, as with runc).
    /// </summary>
    public static Resources? ForCreate(Resources? resources, IEnumerable<Device>? devices)
    {
        if (resources?.Devices == null)
        {
            return resources;
        }
        var copy = new Resources
        {
            Memory = resources.Memory, Cpu = resources.Cpu, Pids = resources.Pids, BlockIO = resources.BlockIO,
            HugepageLimits = resources.HugepageLimits, Network = resources.Network, Unified = resources.Unified,
            Rdma = resources.Rdma,
            Devices = resources.Devices.Concat((devices ?? []).Select(d => new DeviceCgroup
            {
                Allow = true, Type = d.Type == "u" ? "c" : d.Type, Major = d.Major, Minor = d.Minor, Access = "rwm",
            })).ToList(),
        };
        return copy;
    }

    public static List<CgroupWrite> ToV1(IEnumerable<DeviceCgroup>? rules)
    {
        var writes = new List<CgroupWrite>();
        foreach (var r in (rules ?? []).Concat(Defaults))
        {
            writes.Add(new CgroupWrite("devices", r.Allow ? "devices.allow" : "devices.deny", Line(r)));
        }
        return writes;
    }

    /// <summary>"c 1:3 rwm"; a rule without type and numbers means all devices ("a").</summary>
    public static string Line(DeviceCgroup r)
    {
        var type = string.IsNullOrEmpty(r.Type) ? "a" : r.Type;
        var access = string.IsNullOrEmpty(r.Access) ? "rwm" : r.Access;
        if (type == "a" && r.Major == null && r.Minor == null)
        {
            return "a";
        }
        return $"{type} {Num(r.Major)}:{Num(r.Minor)} {access}";
    }

    private static string Num(long? n) => n is null or -1 ? "*" : n.Value.ToString();

    private static DeviceCgroup Allow(char type, long major, long? minor) =>
        new() { Allow = true, Type = type.ToString(), Major = major, Minor = minor, Access = "rwm" };
}
