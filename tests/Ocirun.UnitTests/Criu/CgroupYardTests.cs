using Ocirun.Runtime.Criu;

namespace Ocirun.UnitTests.Criu;

public class CgroupYardTests
{
    [Fact]
    public void YardDirectoriesAreNamedAsCriuLooksThemUp()
    {
        var h = CgroupYard.Hierarchies("12:cpu,cpuacct:/a\n3:name=systemd:/\n2:pids:/x\n0::/\n").ToList();
        Assert.Equal([("cpu,cpuacct", "cgroup", "cpu,cpuacct"), ("systemd", "cgroup", "none,name=systemd"),
            ("pids", "cgroup", "pids"), ("unified", "cgroup2", null)], h);
    }
}
