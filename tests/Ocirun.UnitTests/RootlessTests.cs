using Ocirun.Runtime.Security;

namespace Ocirun.UnitTests;

/// <summary>runc's rules for a rootless caller (rootless_linux.go), as pure decisions.</summary>
public class RootlessTests
{
    [Theory]
    [InlineData("         0          0 4294967295\n", true)]
    [InlineData("0 0 4294967295", true)]
    [InlineData("         0       1500          1\n", false)]
    [InlineData("0 0 1000\n", false)]
    [InlineData("0 1000 1\n1 100000 65536\n", false)]
    public void TheInitialNamespaceMapsEveryId(string uidMap, bool everything) =>
        Assert.Equal(everything, Rootless.MapsEverything(uidMap));

    [Theory]
    [InlineData("auto", 0u, false, false, false)]
    [InlineData("auto", 1000u, false, false, true)]
    [InlineData("auto", 0u, true, false, true)]
    [InlineData("auto", 0u, true, true, false)]
    [InlineData("true", 0u, false, false, true)]
    [InlineData("false", 1000u, false, false, false)]
    public void RootlessCgroupsFollowTheFlagThenTheCaller(string flag, uint euid, bool inUserns, bool systemd, bool expected) =>
        Assert.Equal(expected, Rootless.UseRootlessCgroups(flag, euid, () => inUserns, systemd));

    [Theory]
    [InlineData(1000u, false, "alice", true)]
    [InlineData(0u, false, "root", false)]
    [InlineData(0u, false, null, false)]
    [InlineData(0u, true, "alice", true)]
    [InlineData(0u, true, null, true)]
    [InlineData(0u, true, "root", false)]
    public void XdgRuntimeDirIsHonouredAsRuncDoes(uint euid, bool inUserns, string? user, bool expected) =>
        Assert.Equal(expected, Rootless.HonorXdgRuntimeDir(euid, () => inUserns, user));
}
