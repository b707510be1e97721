using Ocirun.Runtime.Cgroups;

namespace Ocirun.UnitTests;

public class MigrationWarmUpTests
{
    [Fact]
    public void TheProcessMovesIntoItsOwnCgroupOfTheFirstWholeHierarchy() =>
        Assert.Equal("/sys/fs/cgroup/cpu/cgroup.procs",
            MigrationWarmUp.ProcsFile(CgroupMountsTests.HybridMountinfo, CgroupMountsTests.HybridProcCgroup));

    [Fact]
    public void ItsPathIsTakenBelowTheMount() =>
        Assert.Equal("/sys/fs/cgroup/user.slice/x.scope/cgroup.procs", MigrationWarmUp.ProcsFile(
            "35 24 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate", "0::/user.slice/x.scope\n"));

    [Fact]
    public void NoWholeWritableHierarchyNoMove() =>
        Assert.Null(MigrationWarmUp.ProcsFile("""
            32 31 0:29 /docker/abc /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
            33 31 0:30 / /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory
            """, "2:pids:/\n1:memory:/\n"));
}
