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
        Assert.Equal(expected, Rootless.UseRootlessCgroups(flag, euid, inUserns, systemd));

    [Theory]
    [InlineData(1000u, false, "alice", true)]
    [InlineData(0u, false, "root", false)]
    [InlineData(0u, false, null, false)]
    [InlineData(0u, true, "alice", true)]
    [InlineData(0u, true, null, true)]
    [InlineData(0u, true, "root", false)]
    public void XdgRuntimeDirIsHonouredAsRuncDoes(uint euid, bool inUserns, string? user, bool expected) =>
        Assert.Equal(expected, Rootless.HonorXdgRuntimeDir(euid, inUserns, user));
}

/// <summary>Which hierarchies a rootless caller can use, from permissions alone (no cgroupfs).</summary>
public class RootlessCgroupsTests
{
    private static readonly HashSet<string> Existing =
        ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/pids/deleg", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/unified/user", "/sys/fs/cgroup/unified/deleg"];

    [Fact]
    public void ANewDirectoryNeedsAWritableParent()
    {
        Assert.False(Ocirun.Runtime.Cgroups.RootlessCgroups.MayJoin("pids", "/sys/fs/cgroup/pids/c1", null, Existing.Contains, _ => false));
        Assert.True(Ocirun.Runtime.Cgroups.RootlessCgroups.MayJoin("pids", "/sys/fs/cgroup/pids/deleg/c1", null, Existing.Contains,
            p => p == "/sys/fs/cgroup/pids/deleg"));
        // Missing levels are made too: the nearest existing one decides.
        Assert.True(Ocirun.Runtime.Cgroups.RootlessCgroups.MayJoin("pids", "/sys/fs/cgroup/pids/deleg/a/b", null, Existing.Contains,
            p => p == "/sys/fs/cgroup/pids/deleg"));
    }

    [Fact]
    public void AnExistingDirectoryNeedsItsTasksFile()
    {
        Assert.True(Ocirun.Runtime.Cgroups.RootlessCgroups.MayJoin("pids", "/sys/fs/cgroup/pids/deleg", null, Existing.Contains,
            p => p == "/sys/fs/cgroup/pids/deleg/tasks"));
        Assert.False(Ocirun.Runtime.Cgroups.RootlessCgroups.MayJoin("pids", "/sys/fs/cgroup/pids/deleg", null, Existing.Contains,
            p => p == "/sys/fs/cgroup/pids/deleg"));
    }

    [Fact]
    public void Cgroup2AlsoWantsTheCommonAncestorsProcs()
    {
        Func<string, bool> delegated = p => p.StartsWith("/sys/fs/cgroup/unified/deleg", StringComparison.Ordinal);
        // The caller sits in unified/user: moving into unified/deleg/c1 needs unified/cgroup.procs.
        Assert.False(Ocirun.Runtime.Cgroups.RootlessCgroups.MayJoin("unified", "/sys/fs/cgroup/unified/deleg/c1",
            "/sys/fs/cgroup/unified/user", Existing.Contains, delegated));
        // From inside the delegated subtree it is the subtree's own.
        Assert.True(Ocirun.Runtime.Cgroups.RootlessCgroups.MayJoin("unified", "/sys/fs/cgroup/unified/deleg/c1",
            "/sys/fs/cgroup/unified/deleg", Existing.Contains, delegated));
    }

    [Theory]
    [InlineData("/a/b/c", "/a/b/d", "/a/b")]
    [InlineData("/a/b", "/a/b/c", "/a/b")]
    [InlineData("/x", "/y", "/")]
    [InlineData("/sys/fs/cgroup/unified/a", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/unified")]
    public void CommonAncestor(string a, string b, string expected) =>
        Assert.Equal(expected, Ocirun.Runtime.Cgroups.RootlessCgroups.CommonAncestor(a, b));

    [Fact]
    public void UnusableListsTheSkippedHierarchies()
    {
        var paths = new Dictionary<string, string> { ["pids"] = "/sys/fs/cgroup/pids/deleg/c1", ["memory"] = "/sys/fs/cgroup/memory/c1" };
        Assert.Equal(["memory"], Ocirun.Runtime.Cgroups.RootlessCgroups.Unusable(paths, new Dictionary<string, string>(),
            p => Existing.Contains(p) || p == "/sys/fs/cgroup/memory", p => p == "/sys/fs/cgroup/pids/deleg"));
    }
}

/// <summary>What a spec needs when ocirun's euid is not 0 (runc's rootlessEUIDCheck).</summary>
public class RootlessValidatorTests
{
    private static Ocirun.Spec.Model.Spec Spec() => Ocirun.Runtime.Container.DefaultSpec.Rootless(1000, 1000);

    [Fact]
    public void TheRootlessSpecPasses() => Ocirun.Spec.Validation.RootlessValidator.Validate(Spec());

    [Fact]
    public void AUserNamespaceIsRequired()
    {
        var s = Spec();
        s.Linux!.Namespaces!.RemoveAll(n => n.Type == "user");
        Assert.Equal("rootless container requires user namespaces",
            Assert.Throws<Ocirun.Spec.SpecValidationException>(() => Ocirun.Spec.Validation.RootlessValidator.Validate(s)).Message);
    }

    [Theory]
    [InlineData("uid=0", null)]
    [InlineData("gid=0", null)]
    [InlineData("uid=5", "cannot specify uid=5 mount option for rootless container: user namespaces enabled, but no mapping found for uid 5")]
    [InlineData("gid=5", "cannot specify gid=5 mount option for rootless container: user namespaces enabled, but no mapping found for gid 5")]
    public void MountIdsMustBeMapped(string option, string? error)
    {
        var s = Spec();
        s.Mounts!.First(m => m.Destination == "/dev/pts").Options!.Add(option);
        var e = Record.Exception(() => Ocirun.Spec.Validation.RootlessValidator.Validate(s));
        Assert.Equal(error, e?.Message);
    }

    [Fact]
    public void AdditionalGroupsAreRefused()
    {
        var p = new Ocirun.Spec.Model.Process { User = new Ocirun.Spec.Model.User { AdditionalGids = [5] } };
        Assert.Equal("cannot set any additional groups in a rootless container",
            Assert.Throws<Ocirun.Spec.SpecValidationException>(() => Ocirun.Spec.Validation.RootlessValidator.CheckProcess(p)).Message);
    }
}

/// <summary>When the id maps need shadow's setuid tools, and what they are given.</summary>
public class IdMapWriterTests
{
    private static Ocirun.Spec.Model.IdMapping M(uint inside, uint outside, uint size) =>
        new() { ContainerId = inside, HostId = outside, Size = size };

    [Fact]
    public void OnlyTheCallersOwnGidAlonePassesWithoutTheTool()
    {
        Assert.False(Ocirun.Runtime.Linux.IdMapWriter.NeedsMappingTool([M(0, 1000, 1)], 1000));
        Assert.True(Ocirun.Runtime.Linux.IdMapWriter.NeedsMappingTool([M(0, 1001, 1)], 1000));
        Assert.True(Ocirun.Runtime.Linux.IdMapWriter.NeedsMappingTool([M(0, 1000, 2)], 1000));
        Assert.True(Ocirun.Runtime.Linux.IdMapWriter.NeedsMappingTool([M(0, 1000, 1), M(1, 100000, 65536)], 1000));
    }

    [Fact]
    public void TheToolGetsThePidThenEveryTriple() =>
        Assert.Equal(["/usr/bin/newuidmap", "42", "0", "1000", "1", "1", "100000", "65536"],
            Ocirun.Runtime.Linux.IdMapWriter.ToolArgs("/usr/bin/newuidmap", 42, [M(0, 1000, 1), M(1, 100000, 65536)]));
}
