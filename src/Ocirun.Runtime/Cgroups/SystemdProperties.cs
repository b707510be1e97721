using Ocirun.Spec.Model;

namespace Ocirun.Runtime.Cgroups;

/// <summary>A unit property for systemd: Value is a string, string[], bool, a number (byte to ulong, double), uint[] or (path, perms) pairs.</summary>
public readonly record struct SystemdProperty(string Name, object Value);

/// <summary>
/// What systemd is told about a container's scope (pure). systemd rewrites a unit's cgroup
/// files from its properties whenever it realizes the unit again (daemon-reload, property
/// changes), so every limit it has a property for goes in as one, as runc does; the files are
/// then written directly as well, and what systemd has no property for only that way.
/// </summary>
public static class SystemdProperties
{
    /// <summary>
    /// A scope goes in its slice (Slice=) with its cgroup delegated; a unit that is itself a
    /// slice only wants its parent (Wants=), as runc asks for one.
    /// </summary>
    public static List<SystemdProperty> ForUnit(string id, string unit, string slice, int pid, Resources resources, bool v2)
    {
        var props = new List<SystemdProperty> { new("Description", $"ocirun container {id}") };
        if (SystemdUnit.IsSliceName(unit))
        {
            props.Add(new("Wants", new[] { slice }));
        }
        else
        {
            props.Add(new("Slice", slice));
            props.Add(new("Delegate", true));
        }
        props.AddRange(
        [
            new("PIDs", new[] { (uint)pid }),
            // Accounting on, as the cgroupfs driver has every controller; and a memory cgroup
            // joined late misses what the process charged before.
            new("MemoryAccounting", true),
            new("CPUAccounting", true),
            new(v2 ? "IOAccounting" : "BlockIOAccounting", true),
            new("TasksAccounting", true),
            new("DefaultDependencies", false),
        ]);
        props.AddRange(ForDevices(resources.Devices ?? []));
        props.AddRange(ForResources(resources, v2));
        return props;
    }

    /// <summary>The limits systemd has properties for, devices aside (fixed at create, as `update` leaves them).</summary>
    public static List<SystemdProperty> ForResources(Resources r, bool v2)
    {
        var props = new List<SystemdProperty>();
        if (r.Memory?.Limit is > 0 and var limit)
        {
            props.Add(new(v2 ? "MemoryMax" : "MemoryLimit", (ulong)limit));
        }
        if (r.Cpu?.Shares is > 0 and var shares)
        {
            props.Add(v2 ? new("CPUWeight", V2Resources.SharesToWeight(shares)) : new("CPUShares", shares));
        }
        if (r.Cpu?.Period is > 0 and var period)
        {
            props.Add(new("CPUQuotaPeriodUSec", period));
        }
        if (r.Cpu?.Quota is { } quota)
        {
            props.Add(new("CPUQuotaPerSecUSec", QuotaPerSecond(quota, r.Cpu.Period)));
        }
        if (r.Pids?.Limit is { } pids && (pids > 0 || pids == -1))
        {
            // As runc's systemd driver: 0 (and any other negative) leaves the limit as it is.
            props.Add(new("TasksMax", pids < 0 ? ulong.MaxValue : (ulong)pids));
        }
        return props;
    }

    /// <summary>
    /// A quota per period as systemd's CPU time per second, rounded up to whole 10 ms as
    /// systemd would (so it never grants less than asked); no quota is "infinity".
    /// </summary>
    public static ulong QuotaPerSecond(long quota, ulong? period)
    {
        if (quota <= 0)
        {
            return ulong.MaxValue;
        }
        ulong p = period is > 0 ? period.Value : 100000;
        ulong perSec = (ulong)quota * 1000000 / p;
        return (perSec + 9999) / 10000 * 10000;
    }

    /// <summary>
    /// The device rules as systemd's strict allow-list: DeviceAllow= emptied first (a
    /// restarted unit may have entries), then one entry per allowed device or major. A rule set
    /// that allows by default cannot be said to systemd except as "allow all"; anything else
    /// of that kind gets deny-all here and the cgroup files decide (written right after).
    /// </summary>
    public static List<SystemdProperty> ForDevices(IEnumerable<DeviceCgroup> rules)
    {
        var state = DeviceState.FromRules(rules.Concat(DeviceRules.Defaults));
        if (state.DefaultAllow)
        {
            return state.Exceptions.Count == 0
                ? [new("DevicePolicy", "auto"), new("DeviceAllow", new List<(string, string)>())]
                : [new("DevicePolicy", "strict"), new("DeviceAllow", new List<(string, string)>())];
        }
        var allow = new List<(string Path, string Perms)>();
        foreach (var rule in state.Rules().Skip(1))
        {
            var group = rule.Type == "b" ? "block" : "char";
            string? path = (rule.Major, rule.Minor) switch
            {
                (-1, -1) => $"{group}-*",
                (-1, _) => null, // "*:n" has no systemd form: the cgroup files carry it
                (var major, -1) => $"{group}-{major}",
                var (major, minor) => $"/dev/{group}/{major}:{minor}",
            };
            if (path != null)
            {
                allow.Add((path, rule.Access!));
            }
        }
        return [new("DevicePolicy", "strict"), new("DeviceAllow", allow)];
    }
}
