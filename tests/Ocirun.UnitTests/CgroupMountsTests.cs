using Ocirun.Runtime.Cgroups;

namespace Ocirun.UnitTests;

/// <summary>CgroupMounts: cgroup hierarchies from mountinfo text and a process's cgroups from /proc/PID/cgroup.</summary>
public class CgroupMountsTests
{
    /// <summary>The hybrid layout of the CI machine: one v1 hierarchy per controller plus cgroup2 at unified.</summary>
    internal const string HybridMountinfo = """
        22 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
        23 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
        37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
        38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        42 31 0:39 / /sys/fs/cgroup/hugetlb rw,relatime - cgroup cgroup rw,hugetlb
        """;

    internal const string HybridProcCgroup = """
        10:hugetlb:/
        9:name=systemd:/
        8:pids:/
        7:blkio:/
        6:freezer:/
        5:devices:/
        4:memory:/process_api/d229a81c
        3:cpuset:/
        2:cpuacct:/
        1:cpu:/
        0::/
        """;

    [Fact]
    public void HybridLayoutFindsEveryHierarchyInOrder()
    {
        var mounts = CgroupMounts.Parse(HybridMountinfo);
        Assert.Equal(["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "name=systemd", "unified", "hugetlb"],
            mounts.Select(m => m.Key));
        Assert.Equal("/sys/fs/cgroup/systemd", mounts.Single(m => m.Key == "name=systemd").MountPoint);
        var v2 = Assert.Single(mounts, m => m.IsV2);
        Assert.Equal(("/sys/fs/cgroup/unified", "/"), (v2.MountPoint, v2.Root));
        Assert.Empty(v2.Controllers);
        Assert.All(mounts, m => Assert.Equal("/", m.Root));
    }

    [Fact]
    public void PureV2Layout()
    {
        var m = Assert.Single(CgroupMounts.Parse("""
            25 30 0:23 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
            35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
            """));
        Assert.Equal(new CgroupMount("/sys/fs/cgroup", "/", m.Controllers, true), m);
        Assert.Equal("unified", m.Key);
    }

    [Fact]
    public void MountFlagsAreNotControllers()
    {
        var m = Assert.Single(CgroupMounts.Parse(
            "28 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct"));
        Assert.Equal(["cpu", "cpuacct"], m.Controllers);
        Assert.Equal("cpu,cpuacct", m.Key);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", m.MountPoint);
    }

    [Fact]
    public void CpusetWithCloneChildrenIsJustCpuset() => Assert.Equal("cpuset", Assert.Single(CgroupMounts.Parse(
        "30 25 0:26 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpuset,clone_children")).Key);

    /// <summary>
    /// BUG: older systemd mounts its named hierarchy with release_agent=...; the option is taken for a
    /// controller, so the key no longer matches "name=systemd" in /proc/self/cgroup.
    /// </summary>
    [Fact]
    public void ReleaseAgentIsNotAController() => Assert.Equal("name=systemd", Assert.Single(CgroupMounts.Parse(
        "26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd")).Key);

    [Fact]
    public void RepeatedHierarchyKeepsFirstMount()
    {
        var mounts = CgroupMounts.Parse("""
            32 31 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            90 80 0:29 /docker/abc /var/lib/ctr/sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            """);
        Assert.Equal("/sys/fs/cgroup/memory", Assert.Single(mounts).MountPoint);
    }

    [Fact]
    public void EscapedMountPointAndSubtreeRoot()
    {
        var m = Assert.Single(CgroupMounts.Parse(
            @"50 31 0:29 /docker/a\040b /mnt/my\040cgroups\134x rw - cgroup cgroup rw,pids"));
        Assert.Equal("/mnt/my cgroups\\x", m.MountPoint);
        Assert.Equal("/docker/a b", m.Root);
    }

    [Fact]
    public void MalformedLinesAreSkipped() => Assert.Empty(CgroupMounts.Parse("""
        garbage
        1 2 3 - cgroup cgroup rw,cpu
        32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup
        """));

    [Fact]
    public void ProcCgroupHybrid()
    {
        var map = CgroupMounts.ParseProcCgroup(HybridProcCgroup);
        Assert.Equal(11, map.Count);
        Assert.Equal("/", map["unified"]);
        Assert.Equal("/process_api/d229a81c", map["memory"]);
        Assert.Equal("/", map["name=systemd"]);
        Assert.False(map.ContainsKey(""));
    }

    [Fact]
    public void ProcCgroupCombinedControllersAndColonsInPath()
    {
        var map = CgroupMounts.ParseProcCgroup("4:cpu,cpuacct:/user.slice\n0::/system.slice/a:b.service\nbad line\n");
        Assert.Equal("/user.slice", map["cpu,cpuacct"]);
        Assert.Equal("/system.slice/a:b.service", map["unified"]);
        Assert.Equal(2, map.Count);
    }
}
