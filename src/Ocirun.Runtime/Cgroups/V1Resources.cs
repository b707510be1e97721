using Ocirun.Spec.Model;

namespace Ocirun.Runtime.Cgroups;

/// <summary>linux.resources as cgroup v1 file writes (pure: checked by unit tests).</summary>
public static class V1Resources
{
    public static List<CgroupWrite> Translate(Resources r)
    {
        var w = new List<CgroupWrite>();
        Memory(r.Memory, w);
        Cpu(r.Cpu, w);
        // 0 leaves the limit as it is (runc: an update without --pids-limit sends 0).
        if (r.Pids?.Limit is { } pids && pids != 0)
        {
            w.Add(new("pids", "pids.max", pids > 0 ? pids.ToString() : "max"));
        }
        BlockIo(r.BlockIO, w);
        foreach (var h in r.HugepageLimits ?? [])
        {
            w.Add(new("hugetlb", $"hugetlb.{h.PageSize}.limit_in_bytes", h.Limit.ToString()));
            // The reservation counter gets the same limit where the kernel has one (5.7+), as in
            // runc 1.2+: otherwise reserved-but-unfaulted pages escape the limit.
            w.Add(new("hugetlb", $"hugetlb.{h.PageSize}.rsvd.limit_in_bytes", h.Limit.ToString(), Optional: true));
        }
        if (r.Network?.ClassId is { } classId)
        {
            w.Add(new("net_cls", "net_cls.classid", classId.ToString()));
        }
        foreach (var p in r.Network?.Priorities ?? [])
        {
            w.Add(new("net_prio", "net_prio.ifpriomap", $"{p.Name} {p.Priority}"));
        }
        RefuseUnified(r);
        return w;
    }

    /// <summary>
    /// `unified` is for cgroup2-only hosts: on v1 or hybrid ones the controllers it names are
    /// v1's, so runc refuses it (before anything is created, and in update).
    /// </summary>
    public static void RefuseUnified(Resources? r)
    {
        if (r?.Unified is { Count: > 0 })
        {
            throw new ContainerException("invalid configuration: cannot use unified on cgroup v1");
        }
    }

    private static void Memory(MemoryResources? m, List<CgroupWrite> w)
    {
        if (m == null)
        {
            return;
        }
        // 0 means "leave as it is", as in runc: Docker's update sends zeros for what it does not change.
        if (m.Limit is { } limit and not 0)
        {
            w.Add(new("memory", "memory.limit_in_bytes", limit.ToString()));
        }
        if (m.Swap is { } swap and not 0)
        {
            // OCI's swap is memory+swap, exactly what memsw limits on v1.
            w.Add(new("memory", "memory.memsw.limit_in_bytes", swap.ToString()));
        }
        else if (m.Limit == -1)
        {
            // Lifting the limit lifts memory+swap too, where the host accounts swap at all.
            w.Add(new("memory", "memory.memsw.limit_in_bytes", "-1", Optional: true));
        }
        if (m.Reservation is { } res and not 0)
        {
            w.Add(new("memory", "memory.soft_limit_in_bytes", res.ToString()));
        }
        if (m.KernelTCP is { } tcp and not 0)
        {
            w.Add(new("memory", "memory.kmem.tcp.limit_in_bytes", tcp.ToString()));
        }
        if (m.Swappiness is { } sw and <= 100)
        {
            w.Add(new("memory", "memory.swappiness", sw.ToString()));
        }
        if (m.DisableOOMKiller == true)
        {
            w.Add(new("memory", "memory.oom_control", "1"));
        }
    }

    private static void Cpu(CpuResources? c, List<CgroupWrite> w)
    {
        if (c == null)
        {
            return;
        }
        if (c.Shares is { } shares and > 0)
        {
            w.Add(new("cpu", "cpu.shares", shares.ToString()));
        }
        // The period first: a quota is checked against the period in force.
        if (c.Period is { } period and > 0)
        {
            w.Add(new("cpu", "cpu.cfs_period_us", period.ToString()));
        }
        if (c.Quota is { } quota and not 0)
        {
            w.Add(new("cpu", "cpu.cfs_quota_us", quota.ToString()));
        }
        if (c.Burst is { } burst)
        {
            w.Add(new("cpu", "cpu.cfs_burst_us", burst.ToString()));
        }
        if (c.RealtimePeriod is { } rtp and > 0)
        {
            w.Add(new("cpu", "cpu.rt_period_us", rtp.ToString()));
        }
        if (c.RealtimeRuntime is { } rtr and not 0)
        {
            w.Add(new("cpu", "cpu.rt_runtime_us", rtr.ToString()));
        }
        if (c.Idle is { } idle)
        {
            w.Add(new("cpu", "cpu.idle", idle.ToString()));
        }
        if (!string.IsNullOrEmpty(c.Cpus))
        {
            w.Add(new("cpuset", "cpuset.cpus", c.Cpus));
        }
        if (!string.IsNullOrEmpty(c.Mems))
        {
            w.Add(new("cpuset", "cpuset.mems", c.Mems));
        }
    }

    private static void BlockIo(BlockIo? b, List<CgroupWrite> w)
    {
        if (b == null)
        {
            return;
        }
        if (b.Weight is { } weight and > 0)
        {
            // Kernels without CFQ (5.0+) weigh through BFQ's files, as runc falls back to.
            w.Add(new("blkio", "blkio.weight", weight.ToString(), Fallback: "blkio.bfq.weight"));
        }
        if (b.LeafWeight is { } leaf and > 0)
        {
            w.Add(new("blkio", "blkio.leaf_weight", leaf.ToString()));
        }
        foreach (var d in b.WeightDevice ?? [])
        {
            if (d.Weight is { } dw)
            {
                w.Add(new("blkio", "blkio.weight_device", $"{d.Major}:{d.Minor} {dw}", Fallback: "blkio.bfq.weight_device"));
            }
            if (d.LeafWeight is { } dl)
            {
                w.Add(new("blkio", "blkio.leaf_weight_device", $"{d.Major}:{d.Minor} {dl}"));
            }
        }
        Throttle(b.ThrottleReadBpsDevice, "blkio.throttle.read_bps_device", w);
        Throttle(b.ThrottleWriteBpsDevice, "blkio.throttle.write_bps_device", w);
        Throttle(b.ThrottleReadIopsDevice, "blkio.throttle.read_iops_device", w);
        Throttle(b.ThrottleWriteIopsDevice, "blkio.throttle.write_iops_device", w);
    }

    private static void Throttle(List<ThrottleDevice>? devices, string file, List<CgroupWrite> w)
    {
        foreach (var d in devices ?? [])
        {
            w.Add(new("blkio", file, $"{d.Major}:{d.Minor} {d.Rate}"));
        }
    }
}
