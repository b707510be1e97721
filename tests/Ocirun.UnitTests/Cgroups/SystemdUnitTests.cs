using Ocirun.Runtime;
using Ocirun.Runtime.Cgroups;
using Ocirun.Spec.Model;

namespace Ocirun.UnitTests.Cgroups;

/// <summary>The systemd driver's unit names, cgroup paths and properties (runc's rules).</summary>
public class SystemdUnitTests
{
    [Theory]
    [InlineData("machine.slice:libpod:abc", "machine.slice", "libpod-abc.scope", "/machine.slice/libpod-abc.scope")]
    [InlineData(":docker:abc", "system.slice", "docker-abc.scope", "/system.slice/docker-abc.scope")]
    [InlineData("kubepods-besteffort-pod1.slice:cri-containerd:c1", "kubepods-besteffort-pod1.slice", "cri-containerd-c1.scope",
        "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-c1.scope")]
    [InlineData("-.slice:x:y", "-.slice", "x-y.scope", "/x-y.scope")]
    [InlineData("user.slice::y", "user.slice", "y.scope", "/user.slice/y.scope")]
    // A name that is a slice is the unit, the prefix ignored; its cgroup is below the parent's
    // path, where runc looks for it.
    [InlineData("kubepods.slice:ignored:kubepods-burstable.slice", "kubepods.slice", "kubepods-burstable.slice",
        "/kubepods.slice/kubepods-burstable.slice")]
    [InlineData("machine.slice::pod.slice", "machine.slice", "pod.slice", "/machine.slice/pod.slice")]
    public void RuncsSlicePrefixNameForm(string path, string slice, string unit, string cgroup)
    {
        var u = SystemdUnit.Parse(path, "id");
        Assert.Equal(slice, u.Slice);
        Assert.Equal(unit, u.Name);
        Assert.Equal(cgroup, u.CgroupPath);
    }

    [Fact]
    public void NoCgroupsPathIsAScopeNamedForTheContainer() =>
        Assert.Equal(new SystemdUnit("system.slice", "ocirun-c1.scope"), SystemdUnit.Parse(null, "c1"));

    [Theory]
    [InlineData("/a/b", "expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got \"/a/b\" instead")]
    [InlineData("a:b:c:d", "expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got \"a:b:c:d\" instead")]
    [InlineData("machine:p:n", "invalid slice name: machine")]
    [InlineData("a--b.slice:p:n", "invalid slice name: a--b.slice")]
    [InlineData("-a.slice:p:n", "invalid slice name: -a.slice")]
    [InlineData(".slice:p:n", "invalid slice name: .slice")]
    [InlineData("a/b.slice:p:n", "invalid slice name: a/b.slice")]
    [InlineData("machine.slice:p:", "invalid unit name in cgroupsPath machine.slice:p:")]
    public void MalformedPathsAreRefused(string path, string message) =>
        Assert.Equal(message, Assert.Throws<ContainerException>(() => SystemdUnit.Parse(path, "id")).Message);

    [Theory]
    [InlineData(50000, 100000UL, 500000UL)]
    [InlineData(12345, 100000UL, 130000UL)] // 123450 µs/s rounds up to whole 10 ms
    [InlineData(1000, null, 10000UL)]
    [InlineData(-1, 100000UL, ulong.MaxValue)]
    public void QuotaIsTimePerSecondRoundedUp(long quota, ulong? period, ulong perSecond) =>
        Assert.Equal(perSecond, SystemdProperties.QuotaPerSecond(quota, period));

    [Theory]
    [InlineData(-1L, ulong.MaxValue)]
    [InlineData(42L, 42UL)]
    public void TasksMaxIsTheLimitOrInfinity(long limit, ulong tasksMax) =>
        Assert.Equal(tasksMax, Value(SystemdProperties.ForResources(new Resources { Pids = new() { Limit = limit } }, v2: false), "TasksMax"));

    [Theory]
    [InlineData(0L)]
    [InlineData(-2L)]
    public void TasksMaxIsLeftAsItIsForZeroAndOtherNegatives(long limit) =>
        // As runc's systemd driver; TasksMax=1 would have allowed the container one task.
        Assert.DoesNotContain(SystemdProperties.ForResources(new Resources { Pids = new() { Limit = limit } }, v2: false), p => p.Name == "TasksMax");

    [Fact]
    public void LimitsUseEachHierarchysPropertyNames()
    {
        var r = new Resources { Memory = new() { Limit = 1 << 20 }, Cpu = new() { Shares = 1024 } };
        var v1 = SystemdProperties.ForResources(r, v2: false);
        var v2 = SystemdProperties.ForResources(r, v2: true);
        Assert.Equal(1UL << 20, Value(v1, "MemoryLimit"));
        Assert.Equal(1024UL, Value(v1, "CPUShares"));
        Assert.Equal(1UL << 20, Value(v2, "MemoryMax"));
        Assert.Equal(V2Resources.SharesToWeight(1024), Value(v2, "CPUWeight"));
    }

    [Fact]
    public void TheScopeHasThePidDelegationAndAccounting()
    {
        var props = SystemdProperties.ForUnit("c1", "x-c1.scope", "machine.slice", 42, new Resources(), v2: false);
        Assert.Equal("machine.slice", Value(props, "Slice"));
        Assert.Equal(true, Value(props, "Delegate"));
        Assert.Equal(new uint[] { 42 }, Value(props, "PIDs"));
        Assert.Equal(false, Value(props, "DefaultDependencies"));
        Assert.Equal(true, Value(props, "BlockIOAccounting"));
        Assert.Equal(true, Value(SystemdProperties.ForUnit("c1", "c1.scope", "s.slice", 1, new Resources(), v2: true), "IOAccounting"));
        // Devices always: systemd would otherwise open them all on its next realization.
        Assert.Equal("strict", Value(props, "DevicePolicy"));
    }

    [Fact]
    public void ASliceUnitWantsItsParentAndIsNotDelegated()
    {
        // As runc asks for one: systemd then refuses the PIDs, which only scopes take.
        var props = SystemdProperties.ForUnit("c1", "pod.slice", "machine.slice", 42, new Resources(), v2: false);
        Assert.Equal(new[] { "machine.slice" }, Value(props, "Wants"));
        Assert.DoesNotContain(props, p => p.Name is "Slice" or "Delegate");
        Assert.Equal(new uint[] { 42 }, Value(props, "PIDs"));
        Assert.True(SystemdUnit.Parse("machine.slice:p:pod.slice", "id").IsSlice);
        Assert.False(SystemdUnit.Parse("machine.slice:p:pod", "id").IsSlice);
    }

    [Fact]
    public void DeviceRulesBecomeSystemdsAllowList()
    {
        var props = SystemdProperties.ForDevices(
        [
            new DeviceCgroup { Allow = false, Access = "rwm" },
            new DeviceCgroup { Allow = true, Type = "c", Major = 10, Minor = 200, Access = "rw" },
            new DeviceCgroup { Allow = true, Type = "b", Major = 8, Access = "r" },
            new DeviceCgroup { Allow = true, Type = "c", Minor = 3, Access = "r" },
        ]);
        Assert.Equal("strict", Value(props, "DevicePolicy"));
        var allow = (List<(string Path, string Perms)>)Value(props, "DeviceAllow");
        Assert.Contains(("/dev/char/10:200", "rw"), allow);
        Assert.Contains(("block-8", "r"), allow);
        Assert.Contains(("/dev/char/1:3", "rwm"), allow); // runc's defaults
        Assert.Contains(("char-*", "m"), allow);
        Assert.Contains(("char-136", "rwm"), allow);
        Assert.DoesNotContain(allow, a => a.Path.Contains("*:3")); // "*:n" has no systemd form
    }

    [Fact]
    public void AnAllowAllSpecIsSystemdsAutoPolicy()
    {
        var props = SystemdProperties.ForDevices([new DeviceCgroup { Allow = true, Access = "rwm" }]);
        Assert.Equal("auto", Value(props, "DevicePolicy"));
        Assert.Empty((List<(string, string)>)Value(props, "DeviceAllow"));
    }

    private static object Value(List<SystemdProperty> props, string name) => Assert.Single(props, p => p.Name == name).Value;
}
