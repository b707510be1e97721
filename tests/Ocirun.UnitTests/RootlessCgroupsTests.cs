namespace Ocirun.UnitTests;

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
