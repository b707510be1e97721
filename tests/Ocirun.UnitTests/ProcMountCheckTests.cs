using Ocirun.Runtime.Rootfs;

namespace Ocirun.UnitTests;

/// <summary>runc 1.3's rules for mounts on and inside the container's /proc, and its words.</summary>
public class ProcMountCheckTests
{
    [Theory]
    [InlineData("/proc", "proc", false)]
    [InlineData("/proc/cpuinfo", "bind", true)]
    [InlineData("/proc/meminfo", "bind", true)]
    [InlineData("/proc/sys/kernel/ns_last_pid", "bind", true)]
    [InlineData("/proc/sys/crypto/fips_enabled", "bind", true)]
    [InlineData("/procfoo", "tmpfs", false)]
    [InlineData("/etc/proc/sys", "tmpfs", false)]
    [InlineData("/", "tmpfs", false)]
    public void Allowed(string dest, string type, bool bind) =>
        Assert.Null(ProcMountCheck.Refusal("/b/rootfs", dest, type, bind, () => throw new InvalidOperationException("not asked")));

    [Theory]
    [InlineData("/proc/sys", "tmpfs", "\"/b/rootfs/proc/sys\" cannot be mounted because it is inside /proc")]
    [InlineData("/proc/1/attr", "tmpfs", "\"/b/rootfs/proc/1/attr\" cannot be mounted because it is inside /proc")]
    [InlineData("/proc/sys/kernel", "proc", "\"/b/rootfs/proc/sys/kernel\" cannot be mounted because it is inside /proc")]
    [InlineData("/proc/cpuinfo/x", "bind", "\"/b/rootfs/proc/cpuinfo/x\" cannot be mounted because it is inside /proc")]
    [InlineData("/proc", "tmpfs", "\"/b/rootfs/proc\" cannot be mounted because it is not of type proc")]
    [InlineData("/proc", "sysfs", "\"/b/rootfs/proc\" cannot be mounted because it is not of type proc")]
    public void Refused(string dest, string type, string words) =>
        Assert.Equal(words, ProcMountCheck.Refusal("/b/rootfs", dest, type, bind: false, () => true));

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, "\"/b/rootfs/proc\" cannot be mounted because it is not of type proc")]
    public void ABindOntoProcMustBeOfAProcfs(bool sourceIsProcfs, string? words) =>
        Assert.Equal(words, ProcMountCheck.Refusal("/b/rootfs/", "/proc", "bind", bind: true, () => sourceIsProcfs));
}
