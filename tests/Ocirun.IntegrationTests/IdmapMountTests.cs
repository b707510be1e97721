using Ocirun.IntegrationTests.Harness;
using Ocirun.Spec.Model;

namespace Ocirun.IntegrationTests;

/// <summary>
/// Idmapped bind mounts (runtime-spec 1.1+, runc 1.2+), each case run side by side with runc
/// 1.3.6 on the same bundle: what the container sees must be what runc's shows.
/// </summary>
public sealed class IdmapMountTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();
    private readonly Runc13 _runc = new();
    private readonly string _host = Scratch.NewDirectory("idmap-");
    private readonly List<string> _hostMounts = [];

    private static readonly IdMapping[] Userns = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
    private static readonly IdMapping[] RootTo1000 = [new IdMapping { ContainerId = 0, HostId = 1000, Size = 1 }];

    public IdmapMountTests()
    {
        // On the host, all owned by root: a file, and a directory with a tmpfs submount.
        File.WriteAllText(Path.Combine(_host, "f"), "top\n");
        Directory.CreateDirectory(Path.Combine(_host, "sub"));
        Run.Program("mount", ["-t", "tmpfs", "ocirun-it-idmap", Path.Combine(_host, "sub")]).EnsureSuccess();
        _hostMounts.Add(Path.Combine(_host, "sub"));
        File.WriteAllText(Path.Combine(_host, "sub", "g"), "below\n");
    }

    public void Dispose()
    {
        _rt.Dispose();
        _runc.Dispose();
        foreach (var m in _hostMounts)
        {
            Run.Program("umount", ["-l", m]);
        }
        Directory.Delete(_host, true);
    }

    private Bundle Stat(Mount mount, bool userns)
    {
        var b = new Bundle("sh", "-c", "stat -c '%n %u:%g' /data/f /data/sub/g");
        b.Spec.Mounts!.Add(mount);
        if (userns)
        {
            // The rootfs is the host root's: the container's root could not make the mount point.
            Directory.CreateDirectory(Path.Combine(b.Rootfs, "data"));
            b.Spec.Linux!.Namespaces!.Add(new Namespace { Type = "user" });
            b.Spec.Linux.UidMappings = [.. Userns];
            b.Spec.Linux.GidMappings = [.. Userns];
        }
        return b.Write();
    }

    /// <summary>Runs the bundle with ocirun and with runc 1.3.6; both outputs must match.</summary>
    private string RunBoth(Bundle b)
    {
        var ours = _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout;
        var runc = _runc.Exec("run", "--bundle", b.Dir, "c1").EnsureSuccess().Stdout;
        Assert.Equal(runc, ours);
        return ours;
    }

    [Fact]
    public void ExplicitMappingsWithoutAUserNamespace()
    {
        using var b = Stat(new Mount { Destination = "/data", Type = "bind", Source = _host, Options = ["rbind", "idmap"],
            UidMappings = [.. RootTo1000], GidMappings = [.. RootTo1000] }, userns: false);
        // idmap maps the top mount only: the tmpfs below keeps its owners.
        Assert.Equal("/data/f 1000:1000\n/data/sub/g 0:0\n", RunBoth(b));
    }

    [Fact]
    public void RidmapMapsEveryMountOfTheTree()
    {
        using var b = Stat(new Mount { Destination = "/data", Type = "bind", Source = _host, Options = ["rbind", "ridmap"],
            UidMappings = [.. RootTo1000], GidMappings = [.. RootTo1000] }, userns: false);
        Assert.Equal("/data/f 1000:1000\n/data/sub/g 1000:1000\n", RunBoth(b));
    }

    [Fact]
    public void MappingsOnTheMountAloneImplyIdmap()
    {
        using var b = Stat(new Mount { Destination = "/data", Type = "bind", Source = _host, Options = ["rbind"],
            UidMappings = [.. RootTo1000], GidMappings = [.. RootTo1000] }, userns: false);
        Assert.StartsWith("/data/f 1000:1000\n", RunBoth(b));
    }

    [Fact]
    public void WithAUserNamespaceTheContainersMappingIsImplied()
    {
        // Without idmap the host's root files are nobody's inside (65534); with it, root's.
        using var plain = Stat(new Mount { Destination = "/data", Type = "bind", Source = _host, Options = ["rbind"] }, userns: true);
        Assert.StartsWith("/data/f 65534:65534\n", _rt.Ok("run", "--bundle", plain.Dir, "c0").Stdout);
        using var b = Stat(new Mount { Destination = "/data", Type = "bind", Source = _host, Options = ["rbind", "ridmap"] }, userns: true);
        Assert.Equal("/data/f 0:0\n/data/sub/g 0:0\n", RunBoth(b));
    }

    [Fact]
    public void SeveralMountsWithTheSameAndOtherMappings()
    {
        using var b = new Bundle("sh", "-c", "stat -c '%n %u' /a/f /b/f /c/f");
        foreach (var (dest, map) in new[] { ("/a", RootTo1000), ("/b", RootTo1000), ("/c", [new IdMapping { ContainerId = 0, HostId = 2000, Size = 1 }]) })
        {
            b.Spec.Mounts!.Add(new Mount { Destination = dest, Type = "bind", Source = _host, Options = ["bind", "idmap"],
                UidMappings = [.. map], GidMappings = [.. map] });
        }
        b.Write();
        Assert.Equal("/a/f 1000\n/b/f 1000\n/c/f 2000\n", RunBoth(b));
    }

    [Fact]
    public void AFilesystemWithoutIdmapSupportIsRefusedInRuncsWords()
    {
        // procfs cannot be idmapped: the kernel says EINVAL, reported with runc's hint.
        using var b = new Bundle("true");
        b.Spec.Mounts!.Add(new Mount { Destination = "/hostproc", Type = "bind", Source = "/proc", Options = ["bind", "idmap"],
            UidMappings = [.. RootTo1000], GidMappings = [.. RootTo1000] });
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "failed to set MOUNT_ATTR_IDMAP on /proc: invalid argument (maybe the filesystem used doesn't support idmap mounts on this kernel?)");
    }

    [Fact]
    public void InAUserNamespaceABindSourceOnlyRootCanReachIsStillBound()
    {
        // /locked is 0700 root: the init, root only in its user namespace, cannot walk it;
        // the source is taken on the host instead, as runc does.
        var locked = Directory.CreateDirectory(Path.Combine(_host, "locked", "inner")).Parent!.FullName;
        File.WriteAllText(Path.Combine(locked, "inner", "h"), "reached\n");
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var b = new Bundle("cat", "/data/h");
        b.Spec.Mounts!.Add(new Mount { Destination = "/data", Type = "bind", Source = Path.Combine(locked, "inner"), Options = ["bind", "ro"] });
        b.Spec.Linux!.Namespaces!.Add(new Namespace { Type = "user" });
        b.Spec.Linux.UidMappings = [.. Userns];
        b.Spec.Linux.GidMappings = [.. Userns];
        b.Write();
        Directory.CreateDirectory(Path.Combine(b.Rootfs, "data"));
        Assert.Equal("reached\n", RunBoth(b));
    }
}
