using Ocirun.Runtime.HostCheck;

namespace Ocirun.UnitTests;

/// <summary>`ocirun check`'s verdicts from made-up hosts: what works, and the reason when not.</summary>
public sealed class FeatureVerdictsTests
{
    private static HostReport ThisKindOfHost() => new()
    {
        Kernel = "6.18.0-1-amd64",
        Namespaces = new() { ["cgroup"] = true, ["ipc"] = true, ["mnt"] = true, ["net"] = true, ["pid"] = true, ["time"] = true, ["user"] = true, ["uts"] = true },
        CgroupMode = "hybrid",
        CgroupControllers = ["cpu", "memory", "pids"],
        Syscalls = new() { ["mount_setattr"] = true, ["open_tree"] = true, ["seccomp_notify"] = true },
        Criu = new CriuFacts { Path = "/opt/ocirun/criu/criu", Version = "4.2.1", Check = true, MemTrack = false, LazyPages = true },
        UnprivilegedUserns = true,
        Newuidmap = "/usr/bin/newuidmap",
    };

    private static FeatureVerdict Verdict(HostReport h, string name) => FeatureVerdicts.Decide(h).Single(v => v.Name == name);

    [Fact]
    public void AHybridHostWithoutSoftDirty()
    {
        var h = ThisKindOfHost();
        Assert.True(Verdict(h, "run").Works);
        Assert.True(Verdict(h, "checkpoint").Works);
        Assert.True(Verdict(h, "lazy migration").Works);
        Assert.True(Verdict(h, "tcp established").Works);
        Assert.True(Verdict(h, "cgroup v1 limits").Works);
        Assert.Contains("soft-dirty", Verdict(h, "pre-dump").Because);
        Assert.Contains("hybrid", Verdict(h, "cgroup v2 limits").Because);
        Assert.True(Verdict(h, "rootless").Works);
        Assert.True(Verdict(h, "rootless id ranges").Works);
    }

    [Fact]
    public void RootlessSaysWhyNot()
    {
        var h = ThisKindOfHost();
        h.Newuidmap = null;
        Assert.True(Verdict(h, "rootless").Works);
        Assert.Contains("uidmap", Verdict(h, "rootless id ranges").Because);
        h.UnprivilegedUserns = false;
        Assert.Contains("unprivileged_userns_clone", Verdict(h, "rootless").Because);
        Assert.Equal(Verdict(h, "rootless").Because, Verdict(h, "rootless id ranges").Because);
    }

    [Fact]
    public void WithoutCriuEveryCheckpointFeatureSaysWhy()
    {
        var h = ThisKindOfHost();
        h.Criu = new CriuFacts { Error = "criu not found: install it with `make deps` or pass --criu PATH" };
        foreach (var name in new[] { "checkpoint", "pre-dump", "lazy migration", "tcp established", "file locks" })
        {
            Assert.Equal((false, h.Criu.Error), (Verdict(h, name).Works, Verdict(h, name).Because));
        }
    }

    [Fact]
    public void OldCriuCannotDumpTcpOnNewKernels()
    {
        var h = ThisKindOfHost();
        h.Criu.Version = "4.1.1";
        Assert.Contains("CRIU 4.2 can", Verdict(h, "tcp established").Because);
        h.Kernel = "6.12.4";
        Assert.True(Verdict(h, "tcp established").Works);
    }

    [Fact]
    public void ACgroup2OnlyHost()
    {
        var h = ThisKindOfHost();
        h.CgroupMode = "cgroup2";
        Assert.True(Verdict(h, "cgroup v2 limits").Works);
        Assert.False(Verdict(h, "cgroup v1 limits").Works);
    }

    [Theory]
    [InlineData("6.18.0-1-amd64", 6, 18)]
    [InlineData("5.10.0", 5, 10)]
    [InlineData("garbage", 0, 0)]
    public void KernelVersions(string release, int major, int minor) =>
        Assert.Equal(new Version(major, minor), FeatureVerdicts.KernelVersion(release));
}
