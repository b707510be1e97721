namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// Reads a container's cgroup statistics, in runc's units: from v1 controllers (dirOf gives a
/// controller's directory, or null where the container has none) or from one cgroup2 directory.
/// </summary>
public static class StatsReader
{
    public static Stats ReadV1(Func<string, string?> dirOf)
    {
        var s = new Stats();
        if (dirOf("cpuacct") is { } acct)
        {
            s.Cpu.Usage.Total = U(acct, "cpuacct.usage");
            s.Cpu.Usage.Percpu = Numbers(acct, "cpuacct.usage_percpu");
            s.Cpu.Usage.PercpuKernel = Numbers(acct, "cpuacct.usage_percpu_sys");
            s.Cpu.Usage.PercpuUser = Numbers(acct, "cpuacct.usage_percpu_user");
            var stat = KeyValues(acct, "cpuacct.stat");
            // cpuacct.stat is in USER_HZ ticks; runc reports nanoseconds.
            s.Cpu.Usage.User = stat.GetValueOrDefault("user") * 10_000_000;
            s.Cpu.Usage.Kernel = stat.GetValueOrDefault("system") * 10_000_000;
        }
        if (dirOf("cpu") is { } cpu)
        {
            var t = KeyValues(cpu, "cpu.stat");
            s.Cpu.Throttling = new Throttling
            {
                Periods = t.GetValueOrDefault("nr_periods"), ThrottledPeriods = t.GetValueOrDefault("nr_throttled"),
                ThrottledTime = t.GetValueOrDefault("throttled_time"),
            };
        }
        if (dirOf("cpuset") is { } set)
        {
            s.CpuSet = new CpuSetStats
            {
                Cpus = Members(Text(set, "cpuset.cpus")), Mems = Members(Text(set, "cpuset.mems")),
                CpuExclusive = U(set, "cpuset.cpu_exclusive"), MemHardwall = U(set, "cpuset.mem_hardwall"),
                MemExclusive = U(set, "cpuset.mem_exclusive"), MemoryMigrate = U(set, "cpuset.memory_migrate"),
                MemorySpreadPage = U(set, "cpuset.memory_spread_page"), MemorySpreadSlab = U(set, "cpuset.memory_spread_slab"),
                MemoryPressure = U(set, "cpuset.memory_pressure"), SchedLoadBalance = U(set, "cpuset.sched_load_balance"),
                SchedRelaxDomainLevel = long.TryParse(Text(set, "cpuset.sched_relax_domain_level"), out var level) ? level : 0,
            };
        }
        if (dirOf("memory") is { } mem)
        {
            s.Memory.Usage = Entry(mem, "memory");
            s.Memory.Swap = Entry(mem, "memory.memsw");
            s.Memory.Kernel = Entry(mem, "memory.kmem");
            s.Memory.KernelTcp = Entry(mem, "memory.kmem.tcp");
            var raw = KeyValues(mem, "memory.stat");
            s.Memory.Raw = Sorted(raw);
            s.Memory.Cache = raw.GetValueOrDefault("cache");
        }
        if (dirOf("pids") is { } pids)
        {
            s.Pids = new PidsStats { Current = U(pids, "pids.current"), Limit = U(pids, "pids.max") };
        }
        if (dirOf("blkio") is { } blk)
        {
            s.Blkio.IoServiceBytesRecursive = Blkio(blk, "blkio.throttle.io_service_bytes_recursive");
            s.Blkio.IoServicedRecursive = Blkio(blk, "blkio.throttle.io_serviced_recursive");
        }
        if (dirOf("hugetlb") is { } huge)
        {
            foreach (var f in Directory.GetFiles(huge, "hugetlb.*.usage_in_bytes").Order(StringComparer.Ordinal))
            {
                var size = Path.GetFileName(f).Split('.')[1];
                s.Hugetlb[size] = new HugetlbStats
                {
                    Usage = U(huge, $"hugetlb.{size}.usage_in_bytes"), Max = U(huge, $"hugetlb.{size}.max_usage_in_bytes"),
                    Failcnt = U(huge, $"hugetlb.{size}.failcnt"),
                };
            }
        }
        return s;
    }

    public static Stats ReadV2(string dir)
    {
        var s = new Stats();
        var cpu = KeyValues(dir, "cpu.stat");
        s.Cpu.Usage.Total = cpu.GetValueOrDefault("usage_usec") * 1000;
        s.Cpu.Usage.User = cpu.GetValueOrDefault("user_usec") * 1000;
        s.Cpu.Usage.Kernel = cpu.GetValueOrDefault("system_usec") * 1000;
        s.Cpu.Throttling = new Throttling
        {
            Periods = cpu.GetValueOrDefault("nr_periods"), ThrottledPeriods = cpu.GetValueOrDefault("nr_throttled"),
            ThrottledTime = cpu.GetValueOrDefault("throttled_usec") * 1000,
        };
        s.Memory.Usage = new MemoryEntry
        {
            Usage = U(dir, "memory.current"), Limit = UMax(dir, "memory.max"), Max = U(dir, "memory.peak"),
            Failcnt = KeyValues(dir, "memory.events").GetValueOrDefault("max"),
        };
        s.Memory.Swap = new MemoryEntry { Usage = U(dir, "memory.swap.current"), Limit = UMax(dir, "memory.swap.max") };
        var raw = KeyValues(dir, "memory.stat");
        s.Memory.Raw = Sorted(raw);
        s.Memory.Cache = raw.GetValueOrDefault("file");
        s.Pids = new PidsStats { Current = U(dir, "pids.current"), Limit = U(dir, "pids.max") };
        return s;
    }

    /// <summary>The kernel's count of OOM kills in a v1 memory cgroup (memory.oom_control).</summary>
    public static ulong OomKillsV1(string? memoryDir) =>
        memoryDir is { } mem ? KeyValues(mem, "memory.oom_control").GetValueOrDefault("oom_kill") : 0;

    /// <summary>The kernel's count of OOM kills in a cgroup2 directory (memory.events).</summary>
    public static ulong OomKillsV2(string dir) => KeyValues(dir, "memory.events").GetValueOrDefault("oom_kill");

    private static MemoryEntry Entry(string dir, string prefix) => new()
    {
        Usage = U(dir, prefix + ".usage_in_bytes"), Max = U(dir, prefix + ".max_usage_in_bytes"),
        Limit = U(dir, prefix + ".limit_in_bytes"), Failcnt = U(dir, prefix + ".failcnt"),
    };

    private static List<BlkioEntry>? Blkio(string dir, string file)
    {
        var text = Text(dir, file);
        if (text == null)
        {
            return null;
        }
        var list = new List<BlkioEntry>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ');
            if (f.Length == 3 && f[0].Split(':') is [var ma, var mi])
            {
                list.Add(new BlkioEntry { Major = ulong.Parse(ma), Minor = ulong.Parse(mi), Op = f[1], Value = ulong.Parse(f[2]) });
            }
        }
        return list.Count > 0 ? list : null;
    }

    /// <summary>A list of numbers (cpuacct.usage_percpu); null when missing or empty, as Go leaves it out.</summary>
    private static List<ulong>? Numbers(string dir, string file) =>
        Text(dir, file)?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(ulong.Parse).ToList() is { Count: > 0 } l ? l : null;

    /// <summary>The members of a kernel CPU or node list ("0-1,4" → 0, 1, 4); null for none.</summary>
    private static List<ushort>? Members(string? list)
    {
        if (string.IsNullOrEmpty(list) || Spec.Validation.CpuList.Parse(list) is not { } mask)
        {
            return null;
        }
        var members = new List<ushort>();
        for (int i = 0; i < mask.Length * 8; i++)
        {
            if ((mask[i / 8] & (1 << (i % 8))) != 0)
            {
                members.Add((ushort)i);
            }
        }
        return members;
    }

    /// <summary>A map as Go prints it: keys in order; none when empty.</summary>
    private static Dictionary<string, ulong>? Sorted(Dictionary<string, ulong> map) =>
        map.Count == 0 ? null : map.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary();

    private static string? Text(string dir, string file)
    {
        try
        {
            return File.ReadAllText(Path.Combine(dir, file)).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static ulong U(string dir, string file) => ulong.TryParse(Text(dir, file), out var v) ? v : 0;

    private static ulong UMax(string dir, string file) => Text(dir, file) == "max" ? ulong.MaxValue : U(dir, file);

    public static Dictionary<string, ulong> KeyValues(string dir, string file)
    {
        var map = new Dictionary<string, ulong>();
        foreach (var line in (Text(dir, file) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ', 2);
            if (f.Length == 2 && ulong.TryParse(f[1], out var v))
            {
                map[f[0]] = v;
            }
        }
        return map;
    }
}
