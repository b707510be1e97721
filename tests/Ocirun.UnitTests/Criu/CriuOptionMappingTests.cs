using Ocirun.Runtime.Container;
using Ocirun.Runtime.Criu;
using Ocirun.Runtime.Linux;
using Ocirun.Spec.Model;

namespace Ocirun.UnitTests.Criu;

/// <summary>How runc's checkpoint/restore flags and a spec become criu_opts.</summary>
public sealed class CriuOptionMappingTests
{
    private static Spec.Model.Spec SpecWith(params Mount[] mounts) => new()
    {
        OciVersion = "1.2.0",
        Mounts = mounts.ToList(),
        Linux = new Spec.Model.Linux
        {
            Namespaces = [new Namespace { Type = "pid" }, new Namespace { Type = "mount" }, new Namespace { Type = "cgroup" }],
            MaskedPaths = ["/proc/keys", "/proc/acpi"],
        },
    };

    private static readonly Dictionary<string, string> Cgroups = new()
    {
        ["memory"] = "/sys/fs/cgroup/memory/new", ["name=systemd"] = "/sys/fs/cgroup/systemd/new",
    };

    [Fact]
    public void BindMountsAndMaskedFilesAreExternalAtDump()
    {
        var spec = SpecWith(new Mount { Destination = "/data/", Type = "bind", Source = "/srv/vol", Options = ["rbind"] },
            new Mount { Destination = "/tmp", Type = "tmpfs", Source = "tmpfs" });
        var ext = CriuMounts.ForDump(spec, p => p == "/proc/keys", Cgroups);
        Assert.Equal(["/data=/data", "/proc/keys=/dev/null"], ext.Select(e => $"{e.Key}={e.Val}"));
    }

    [Fact]
    public void RestoreMapsRecordedNamesToTheNewSources()
    {
        // The bundle of the restored copy binds another host directory at the same place.
        var spec = SpecWith(new Mount { Destination = "/data", Type = "bind", Source = "/srv/other", Options = ["rbind"] });
        var ext = CriuMounts.ForRestore(spec, Cgroups);
        Assert.Equal(["/data=/srv/other", "/dev/null=/dev/null"], ext.Select(e => $"{e.Key}={e.Val}"));
    }

    [Fact]
    public void DumpKeysAreWhereTheDestinationResolvesAndRelativeSourcesAreTheBundles()
    {
        var spec = SpecWith(new Mount { Destination = "/conf", Type = "bind", Source = "/srv/conf", Options = ["rbind"] },
            new Mount { Destination = "/vol/inner", Type = "bind", Source = "rel/dir", Options = ["rbind"] },
            new Mount { Destination = "/tmp", Type = "tmpfs", Source = "tmpfs" });
        var dump = CriuMounts.ForDump(spec, _ => false, Cgroups, p => p == "/conf" ? "/real/conf" : p);
        Assert.Equal(["/real/conf=/conf", "/vol/inner=/vol/inner"], dump.Select(e => $"{e.Key}={e.Val}"));
        Ocirun.Runtime.Container.Containers.AbsoluteBindSources(spec, "/bundle");
        var restore = CriuMounts.ForRestore(spec, Cgroups).Where(e => e.Key != "/dev/null");
        Assert.Equal(["/conf=/srv/conf", "/vol/inner=/bundle/rel/dir"], restore.Select(e => $"{e.Key}={e.Val}"));
        Assert.Equal("tmpfs", spec.Mounts![2].Source);
    }

    private static MountInfoEntry Tmpfs(string at, string superOptions = "ro,size=4k,nr_inodes=1", string root = "/") =>
        new(root, at, "tmpfs", "tmpfs", superOptions);

    [Fact]
    public void OnlyEmptyReadOnlyMasksMountedOnceAreMadeAgain()
    {
        var mounts = new[]
        {
            Tmpfs("/proc/acpi"), Tmpfs("/sys/firmware"),
            Tmpfs("/proc/scsi", "rw,size=4k,nr_inodes=1"), // remounted writable
            Tmpfs("/proc/kcore", root: "/null"),            // a file's /dev/null bind, from /dev's tmpfs
            Tmpfs("/sys/devices/virtual/powercap"), Tmpfs("/sys/devices/virtual/powercap"), // something on top
            Tmpfs("/proc/latency_stats"),                   // not empty
            Tmpfs("/tmp"),                                  // not masked
        };
        var masked = new[] { "/proc/acpi", "/sys/firmware", "/proc/scsi", "/proc/kcore", "/sys/devices/virtual/powercap", "/proc/latency_stats" };
        Assert.Equal(["/proc/acpi", "/sys/firmware"], CriuMounts.EmptyMasks(mounts, masked, p => p != "/proc/latency_stats"));
    }

    [Fact]
    public void EmptyMasksShareOneNameBoundOnRestoreFromAFreshMask()
    {
        var spec = SpecWith();
        var dump = CriuMounts.ForDump(spec, p => p == "/proc/keys", Cgroups, emptyMasks: ["/proc/acpi"]);
        Assert.Equal(["/proc/keys=/dev/null", $"/proc/acpi={CriuMounts.EmptyMaskName}"], dump.Select(e => $"{e.Key}={e.Val}"));
        var restore = CriuMounts.ForRestore(spec, Cgroups, "/run/ocirun/c1/criu-empty-mask");
        Assert.Contains($"{CriuMounts.EmptyMaskName}=/run/ocirun/c1/criu-empty-mask", restore.Select(e => $"{e.Key}={e.Val}"));
        Assert.DoesNotContain(CriuMounts.EmptyMaskName, CriuMounts.ForRestore(spec, Cgroups).Select(e => e.Key));
    }

    [Fact]
    public void V1CgroupBindsAreExternalOnlyWithoutACgroupNamespace()
    {
        var spec = SpecWith(new Mount { Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup" });
        Assert.Empty(CriuMounts.ForDump(spec, _ => false, Cgroups));
        spec.Linux!.Namespaces!.RemoveAll(n => n.Type == "cgroup");
        var dump = CriuMounts.ForDump(spec, _ => false, Cgroups).Select(e => $"{e.Key}={e.Val}");
        Assert.Equal(["/sys/fs/cgroup/memory=/sys/fs/cgroup/memory", "/sys/fs/cgroup/systemd=/sys/fs/cgroup/systemd"], dump);
        // Restore binds the new container's own directories, not the runtime's.
        var restore = CriuMounts.ForRestore(spec, Cgroups).Where(e => e.Key.StartsWith("/sys")).Select(e => $"{e.Key}={e.Val}");
        Assert.Equal(["/sys/fs/cgroup/memory=/sys/fs/cgroup/memory/new", "/sys/fs/cgroup/systemd=/sys/fs/cgroup/systemd/new"], restore);
    }

    [Theory]
    [InlineData(null, CriuCgMode.Soft)]
    [InlineData("soft", CriuCgMode.Soft)]
    [InlineData("full", CriuCgMode.Full)]
    [InlineData("strict", CriuCgMode.Strict)]
    [InlineData("ignore", CriuCgMode.Ignore)]
    public void CgroupModes(string? flag, CriuCgMode mode) => Assert.Equal(mode, CriuOptionsBuilder.CgroupMode(flag));

    [Fact]
    public void UnknownCgroupModeIsAnError() =>
        Assert.Throws<Runtime.ContainerException>(() => CriuOptionsBuilder.CgroupMode("sometimes"));

    [Fact]
    public void CommonOptionsFollowTheFlags()
    {
        var o = new CheckpointOptions { TcpEstablished = true, FileLocks = true, ShellJob = true, ExtUnixSk = true, AutoDedup = true };
        var opts = CriuOptionsBuilder.Common(o, 7, 8, "dump.log", SpecWith());
        Assert.Equal((7, 8, "dump.log", 4), (opts.ImagesDirFd, opts.WorkDirFd, opts.LogFile, opts.LogLevel));
        Assert.True(opts.TcpEstablished && opts.FileLocks && opts.ShellJob && opts.ExtUnixSk && opts.AutoDedup);
        Assert.True(opts.ManageCgroups && opts.NotifyScripts && opts.OrphanPtsMaster);
        // A private network namespace always comes back empty.
        Assert.Equal(CriuOptionsBuilder.CloneNewNet, opts.EmptyNs);
    }

    [Fact]
    public void EmptyNsAcceptsOnlyNetwork()
    {
        Assert.Throws<Runtime.ContainerException>(() =>
            CriuOptionsBuilder.Common(new CheckpointOptions { EmptyNs = ["ipc"] }, 0, 0, "dump.log", SpecWith()));
    }

    [Fact]
    public void ConfigFileComesFromTheAnnotation()
    {
        var spec = SpecWith();
        spec.Annotations = new() { ["org.criu.config"] = "/etc/criu/special.conf" };
        Assert.Equal("/etc/criu/special.conf", CriuOptionsBuilder.ConfigFile(spec));
        spec.Annotations["org.criu.config"] = "";
        Assert.Null(CriuOptionsBuilder.ConfigFile(spec));
    }
}
