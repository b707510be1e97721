using Ocirun.Runtime.Criu;

namespace Ocirun.UnitTests.Criu;

public class CgroupYardTests
{
    private static List<string> Show(IEnumerable<CgroupYard.Entry> plan) =>
        plan.Select(e => e.BindOf != null ? $"{e.Dir}: bind {e.BindOf}" : $"{e.Dir}: mount {e.FsType} {e.Options}").ToList();

    [Fact]
    public void YardDirectoriesAreNamedAsCriuLooksThemUp()
    {
        var plan = CgroupYard.Plan("12:cpu,cpuacct:/a\n3:name=systemd:/\n2:pids:/x\n0::/\n", "");
        Assert.Equal(["cpu,cpuacct: mount cgroup cpu,cpuacct", "systemd: mount cgroup none,name=systemd", "pids: mount cgroup pids",
            "unified: mount cgroup2 "], Show(plan));
    }

    [Fact]
    public void OnAHybridHostEveryHierarchyIsABindOfTheHostsOwnMount()
    {
        var plan = CgroupYard.Plan(CgroupMountsTests.HybridProcCgroup, CgroupMountsTests.HybridMountinfo);
        Assert.Equal(["hugetlb: bind /sys/fs/cgroup/hugetlb", "systemd: bind /sys/fs/cgroup/systemd", "pids: bind /sys/fs/cgroup/pids",
            "blkio: bind /sys/fs/cgroup/blkio", "freezer: bind /sys/fs/cgroup/freezer", "devices: bind /sys/fs/cgroup/devices",
            "memory: bind /sys/fs/cgroup/memory", "cpuset: bind /sys/fs/cgroup/cpuset", "cpuacct: bind /sys/fs/cgroup/cpuacct",
            "cpu: bind /sys/fs/cgroup/cpu", "unified: bind /sys/fs/cgroup/unified"], Show(plan));
    }

    [Fact]
    public void CoMountedControllersMatchInAnyOrder()
    {
        var plan = CgroupYard.Plan("4:cpu,cpuacct:/\n3:net_cls,net_prio:/\n", """
            32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpuacct,cpu
            33 31 0:30 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,net_cls,net_prio
            34 31 0:31 / /sys/fs/cgroup/net_cls rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,net_cls
            """);
        Assert.Equal(["cpu,cpuacct: bind /sys/fs/cgroup/cpu,cpuacct", "net_cls,net_prio: bind /sys/fs/cgroup/net_cls,net_prio"], Show(plan));
    }

    [Fact]
    public void ASystemdHostsCgroup2AtTheTopIsBound()
    {
        var plan = CgroupYard.Plan("0::/user.slice/x.scope\n",
            "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot");
        Assert.Equal(["unified: bind /sys/fs/cgroup"], Show(plan));
    }

    [Fact]
    public void ASubtreeAReadOnlyOrACoveredMountIsNoWholeHierarchy()
    {
        // Inside a container: the hierarchy's mount is the container's own subtree, read-only,
        // or hidden by a later mount at the same place; each hierarchy is then mounted afresh.
        var plan = CgroupYard.Plan("3:pids:/\n2:memory:/\n1:freezer:/\n0::/\n", """
            32 31 0:29 /docker/abc /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids
            33 31 0:30 / /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory
            34 31 0:31 / /sys/fs/cgroup/freezer rw,nosuid - cgroup cgroup rw,freezer
            35 34 0:32 / /sys/fs/cgroup/freezer rw,nosuid - tmpfs tmpfs rw
            36 31 0:33 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 ro
            """);
        Assert.Equal(["pids: mount cgroup pids", "memory: mount cgroup memory", "freezer: mount cgroup freezer", "unified: mount cgroup2 "],
            Show(plan));
    }

    [Fact]
    public void TheFirstWholeMountOfAHierarchyIsTaken()
    {
        var plan = CgroupYard.Plan("1:pids:/\n", """
            32 31 0:29 /sub /mnt/pids-sub rw - cgroup cgroup rw,pids
            33 31 0:29 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
            34 31 0:29 / /mnt/pids-again rw - cgroup cgroup rw,pids
            """);
        Assert.Equal(["pids: bind /sys/fs/cgroup/pids"], Show(plan));
    }
}
