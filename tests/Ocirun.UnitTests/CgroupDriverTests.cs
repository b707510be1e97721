using Ocirun.Runtime;
using Ocirun.Runtime.Cgroups;
using Ocirun.Spec.Model;

namespace Ocirun.UnitTests;

/// <summary>Which driver a container's recorded paths get, and what each refuses before touching cgroupfs.</summary>
public class CgroupDriverTests
{
    private static readonly Dictionary<string, string> V1Paths = new()
    {
        ["cpu,cpuacct"] = "/sys/fs/cgroup/cpu,cpuacct/c", ["memory"] = "/sys/fs/cgroup/memory/c",
        ["freezer"] = "/sys/fs/cgroup/freezer/c",
    };

    private static Dictionary<string, string> Hybrid => new(V1Paths) { [CgroupMount.V2Key] = "/sys/fs/cgroup/unified/c" };

    [Fact]
    public void TheCgroup2TreeAloneIsV2()
    {
        var d = CgroupDriver.For(new Dictionary<string, string> { [CgroupMount.V2Key] = "/sys/fs/cgroup/c" });
        Assert.IsType<V2Driver>(d);
        Assert.True(d.IsV2Only);
        Assert.Null(d.FreezerPath);
    }

    [Fact]
    public void V1HierarchiesWithTheCgroup2TreeAreHybridAndKeepEveryPath()
    {
        var d = CgroupDriver.For(Hybrid);
        Assert.IsType<HybridDriver>(d);
        Assert.False(d.IsV2Only);
        Assert.Equal(Hybrid.OrderBy(p => p.Key), d.Paths.OrderBy(p => p.Key));
        Assert.Equal("/sys/fs/cgroup/freezer/c", d.FreezerPath);
    }

    [Fact]
    public void V1HierarchiesAloneAreV1() => Assert.IsType<V1Driver>(CgroupDriver.For(V1Paths));

    [Fact]
    public void UnifiedResourcesAreRefusedWhereControllersAreV1s()
    {
        var r = new Resources { Unified = new() { ["pids.max"] = "10" } };
        Assert.Equal("invalid configuration: cannot use unified on cgroup v1",
            Assert.Throws<ContainerException>(() => CgroupDriver.For(Hybrid).Validate(r)).Message);
        CgroupDriver.For(new Dictionary<string, string> { [CgroupMount.V2Key] = "/sys/fs/cgroup/c" }).Validate(r);
    }

    [Fact]
    public void ALimitInAHierarchyARootlessContainerIsNotInFailsInRuncsWords()
    {
        var d = CgroupDriver.For(V1Paths, skipped: ["pids"]);
        var e = Assert.Throws<ContainerException>(() => d.SetLimits(new Resources { Pids = new() { Limit = 5 } }));
        Assert.Equal("cannot set pids limit: container could not join or create cgroup", e.Message);
    }

    [Fact]
    public void ALimitInAHierarchyTheHostDoesNotHaveSaysSo()
    {
        var e = Assert.Throws<ContainerException>(() => CgroupDriver.For(V1Paths).SetLimits(new Resources { Pids = new() { Limit = 5 } }));
        Assert.Equal("the pids cgroup controller is not available on this host (needed for pids.max)", e.Message);
    }
}
