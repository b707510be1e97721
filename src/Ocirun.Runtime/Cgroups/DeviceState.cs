using Ocirun.Spec.Model;

namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// What a v1 devices cgroup allows, computed the way the kernel applies devices.allow and
/// devices.deny (pure, unit-tested): a default (allow all or deny all) plus exceptions, each an
/// exact (type, major, minor) with access bits. Exceptions are invisible while the default is
/// allow (devices.list then shows only "a *:* rwm"), so such a state is never diffed.
/// </summary>
public sealed class DeviceState
{
    public const int Mknod = 1, Read = 2, Write = 4, All = 7;

    public bool DefaultAllow { get; private set; }

    /// <summary>
    /// (type, major, minor) → access bits; -1 is the wildcard "*". In the order the rules added
    /// them, as the kernel lists them: a spec's own rules come out first, in its order.
    /// </summary>
    public OrderedDictionary<(char Type, long Major, long Minor), int> Exceptions { get; } = new();

    /// <summary>
    /// The state the rules ask for, starting from deny-all (as runc's emulator does: a spec
    /// that forgets its "deny all" still gets an allow-list).
    /// </summary>
    public static DeviceState FromRules(IEnumerable<DeviceCgroup> rules)
    {
        var s = new DeviceState();
        foreach (var r in rules)
        {
            s.Apply(r);
        }
        return s;
    }

    /// <summary>The kernel's rule: "a" resets; a rule agreeing with the default removes exact exceptions, else adds.</summary>
    public void Apply(DeviceCgroup r)
    {
        var type = TypeOf(r);
        int access = AccessBits(r.Access);
        if (type == 'a')
        {
            DefaultAllow = r.Allow;
            Exceptions.Clear();
            return;
        }
        var key = (type, r.Major ?? -1, r.Minor ?? -1);
        int current = Exceptions.GetValueOrDefault(key);
        int next = r.Allow == DefaultAllow ? current & ~access : current | access;
        if (next == 0)
        {
            Exceptions.Remove(key);
        }
        else
        {
            Exceptions[key] = next;
        }
    }

    /// <summary>devices.list: "a *:* rwm" for allow-all, else one exception a line.</summary>
    public static DeviceState Parse(string devicesList)
    {
        var s = new DeviceState();
        foreach (var line in devicesList.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Trim().Split(' ');
            var numbers = parts.Length == 3 ? parts[1].Split(':') : [];
            if (numbers.Length != 2)
            {
                throw new ContainerException($"unexpected devices.list line \"{line}\"");
            }
            var rule = new DeviceCgroup
            {
                Allow = true, Type = parts[0], Major = numbers[0] == "*" ? -1 : long.Parse(numbers[0]),
                Minor = numbers[1] == "*" ? -1 : long.Parse(numbers[1]), Access = parts[2],
            };
            if (TypeOf(rule) == 'a')
            {
                return FromRules([rule]);
            }
            s.Apply(rule);
        }
        return s;
    }

    /// <summary>The same state as the fewest rules: the default first, then the exceptions.</summary>
    public List<DeviceCgroup> Rules()
    {
        var rules = new List<DeviceCgroup> { new() { Allow = DefaultAllow, Type = "a", Access = "rwm" } };
        foreach (var ((type, major, minor), access) in Exceptions)
        {
            rules.Add(new DeviceCgroup
            {
                Allow = !DefaultAllow, Type = type.ToString(), Major = major, Minor = minor, Access = AccessText(access),
            });
        }
        return rules;
    }

    /// <summary>
    /// The writes that take a cgroup from this state to target. Between two allow-lists only the
    /// differences are written, additions before removals: at no moment does the cgroup allow
    /// what neither state allows, or refuse what both allow. Otherwise the default is reset first
    /// (to deny when the target is an allow-list, so nothing is gained on the way).
    /// </summary>
    public List<(bool Allow, string Line)> TransitionTo(DeviceState target)
    {
        var writes = new List<(bool, string)>();
        if (DefaultAllow || target.DefaultAllow)
        {
            return target.Rules().Select(r => (r.Allow, DeviceRules.Line(r))).ToList();
        }
        var removals = new List<(bool, string)>();
        foreach (var key in target.Exceptions.Keys.Union(Exceptions.Keys))
        {
            int have = Exceptions.GetValueOrDefault(key), want = target.Exceptions.GetValueOrDefault(key);
            if ((want & ~have) != 0)
            {
                writes.Add((true, Line(key, want & ~have)));
            }
            if ((have & ~want) != 0)
            {
                removals.Add((false, Line(key, have & ~want)));
            }
        }
        writes.AddRange(removals);
        return writes;
    }

    public bool SameAs(DeviceState other) =>
        DefaultAllow == other.DefaultAllow && Exceptions.Count == other.Exceptions.Count
        && Exceptions.All(e => other.Exceptions.GetValueOrDefault(e.Key) == e.Value);

    private static string Line((char Type, long Major, long Minor) key, int access) =>
        $"{key.Type} {Num(key.Major)}:{Num(key.Minor)} {AccessText(access)}";

    private static string Num(long n) => n < 0 ? "*" : n.ToString();

    /// <summary>"a" (or no type) is every device, whatever numbers follow, as the kernel reads it.</summary>
    private static char TypeOf(DeviceCgroup r) => r.Type switch
    {
        null or "" or "a" => 'a',
        "b" => 'b',
        "c" => 'c',
        _ => throw new ContainerException($"invalid device type \"{r.Type}\" in linux.resources.devices"),
    };

    public static int AccessBits(string? access)
    {
        if (string.IsNullOrEmpty(access))
        {
            return All;
        }
        int bits = 0;
        foreach (var c in access)
        {
            bits |= c switch
            {
                'r' => Read,
                'w' => Write,
                'm' => Mknod,
                _ => throw new ContainerException($"invalid device access \"{access}\" in linux.resources.devices"),
            };
        }
        return bits;
    }

    private static string AccessText(int bits) =>
        ((bits & Read) != 0 ? "r" : "") + ((bits & Write) != 0 ? "w" : "") + ((bits & Mknod) != 0 ? "m" : "");
}
