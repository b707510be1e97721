using Ocirun.Spec.Model;

namespace Ocirun.Runtime.Cgroups;

/// <summary>linux.resources as cgroup v2 file writes (pure: checked by unit tests).</summary>
public static class V2Resources
{
    public const string Controller = CgroupMount.V2Key;

    public static List<CgroupWrite> Translate(Resources r)
    {
        var w = new List<CgroupWrite>();
        if (r.Memory is { } m)
        {
            // 0 means "leave as it is", as in runc.
            if (m.Limit is { } limit and not 0)
            {
                Add(w, "memory.max", Max(limit));
            }
            if (m.Swap is { } swap and not 0)
            {
                // v2 limits swap alone; OCI gives memory+swap.
                Add(w, "memory.swap.max", swap == -1 ? "max" : m.Limit is { } l and > 0 ? Math.Max(0, swap - l).ToString() : swap.ToString());
            }
            if (m.Reservation is { } res and not 0)
            {
                Add(w, "memory.low", Max(res));
            }
            if (m.DisableOOMKiller == true)
            {
                throw new ContainerException("disableOOMKiller is not supported on cgroup v2");
            }
        }
        if (r.Cpu is { } c)
        {
            if (c.Shares is { } shares and > 0)
            {
                Add(w, "cpu.weight", SharesToWeight(shares).ToString());
            }
            if (c.Quota is not null || c.Period is not null)
            {
                var quota = c.Quota is { } q and > 0 ? q.ToString() : "max";
                Add(w, "cpu.max", $"{quota} {c.Period ?? 100000}");
            }
            if (c.Burst is { } burst)
            {
                Add(w, "cpu.max.burst", burst.ToString());
            }
            if (c.Idle is { } idle)
            {
                Add(w, "cpu.idle", idle.ToString());
            }
            if (c.RealtimeRuntime is not null and not 0 || c.RealtimePeriod is not null and not 0UL)
            {
                throw new ContainerException("realtime cpu scheduling is not supported on cgroup v2");
            }
            if (!string.IsNullOrEmpty(c.Cpus))
            {
                Add(w, "cpuset.cpus", c.Cpus);
            }
            if (!string.IsNullOrEmpty(c.Mems))
            {
                Add(w, "cpuset.mems", c.Mems);
            }
        }
        // 0 leaves the limit as it is (runc: an update without --pids-limit sends 0).
        if (r.Pids?.Limit is { } pids && pids != 0)
        {
            Add(w, "pids.max", pids > 0 ? pids.ToString() : "max");
        }
        Io(r.BlockIO, w);
        foreach (var h in r.HugepageLimits ?? [])
        {
            Add(w, $"hugetlb.{h.PageSize}.max", h.Limit.ToString());
            w.Add(new(Controller, $"hugetlb.{h.PageSize}.rsvd.max", h.Limit.ToString(), Optional: true));
        }
        if (r.Network is { ClassId: not null } or { Priorities.Count: > 0 })
        {
            throw new ContainerException("network classID and priorities need cgroup v1 net_cls/net_prio");
        }
        foreach (var (file, value) in r.Unified ?? new())
        {
            Add(w, file, value);
        }
        return w;
    }

    /// <summary>
    /// runc 1.3's mapping from v1 shares (2..262144, default 1024) to v2 weight (1..10000,
    /// default 100): a quadratic in log2(shares) through the minimum, the maximum and the
    /// defaults, so that the default share is the default weight (the linear mapping of older
    /// runc gave 1024 a weight of 39). 0 stays unset.
    /// </summary>
    public static ulong SharesToWeight(ulong shares)
    {
        if (shares == 0)
        {
            return 0;
        }
        if (shares <= 2)
        {
            return 1;
        }
        if (shares >= 262144)
        {
            return 10000;
        }
        double l = Math.Log2(shares);
        return (ulong)Math.Ceiling(Math.Pow(10, (l * l + 125 * l) / 612.0 - 7.0 / 34.0));
    }

    /// <summary>v1 blkio weight (10..1000) to v2 io.weight (1..10000).</summary>
    public static ulong BlkioToIoWeight(ulong weight) => weight == 0 ? 0 : 1 + ((Math.Clamp(weight, 10, 1000) - 10) * 9999) / 990;

    private static void Io(BlockIo? b, List<CgroupWrite> w)
    {
        if (b == null)
        {
            return;
        }
        if (b.Weight is { } weight and > 0)
        {
            Add(w, "io.weight", BlkioToIoWeight(weight).ToString());
        }
        foreach (var d in b.WeightDevice ?? [])
        {
            if (d.Weight is { } dw)
            {
                Add(w, "io.weight", $"{d.Major}:{d.Minor} {BlkioToIoWeight(dw)}");
            }
        }
        foreach (var (list, key) in new[]
        {
            (b.ThrottleReadBpsDevice, "rbps"), (b.ThrottleWriteBpsDevice, "wbps"),
            (b.ThrottleReadIopsDevice, "riops"), (b.ThrottleWriteIopsDevice, "wiops"),
        })
        {
            foreach (var d in list ?? [])
            {
                Add(w, "io.max", $"{d.Major}:{d.Minor} {key}={d.Rate}");
            }
        }
    }

    private static string Max(long v) => v < 0 ? "max" : v.ToString();

    private static void Add(List<CgroupWrite> w, string file, string value) => w.Add(new(Controller, file, value));
}
