using Ocirun.IntegrationTests.Harness;
using Ocirun.Spec.Model;

namespace Ocirun.IntegrationTests;

/// <summary>
/// Mount order and destinations as runc 1.3 treats them, side by side with runc 1.3.6 on the
/// same bundle: a bind source inside an earlier mount of the container sees that mount, and a
/// destination through a dangling symlink is made inside the rootfs.
/// </summary>
public sealed class MountOrderTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();
    private readonly Runc13 _runc = new();
    private readonly string _host = Scratch.NewDirectory("order-");

    private static readonly IdMapping[] Userns = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];

    public MountOrderTests() => File.WriteAllText(Path.Combine(_host, "from-host"), "x");

    public void Dispose()
    {
        _rt.Dispose();
        _runc.Dispose();
        Directory.Delete(_host, true);
    }

    /// <summary>Runs with runc 1.3.6 first, then ocirun (the rootfs is restored in between); outputs must match.</summary>
    private string RunBoth(Bundle b)
    {
        var runc = _runc.Exec("run", "--bundle", b.Dir, "c1").EnsureSuccess().Stdout;
        Run.Program("rm", ["-rf", b.Rootfs]).EnsureSuccess();
        Run.Program("cp", ["-a", TestEnv.Rootfs, b.Rootfs]).EnsureSuccess();
        Prepare?.Invoke(b);
        var ours = _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout;
        Assert.Equal(runc, ours);
        return ours;
    }

    private Action<Bundle>? Prepare { get; set; }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ABindSourceInsideAnEarlierMountSeesThatMount(bool userns)
    {
        using var b = new Bundle("ls", "/b");
        // /a is the host directory; then <rootfs>/a, in the container's mount namespace, is it too.
        b.Spec.Mounts!.Add(new Mount { Destination = "/a", Type = "bind", Source = _host, Options = ["bind"] });
        b.Spec.Mounts.Add(new Mount { Destination = "/b", Type = "bind", Source = Path.Combine(b.Rootfs, "a"), Options = ["bind"] });
        Assert.Equal("from-host\n", RunBothWithMountPointsAB(b, userns));
    }

    /// <summary>
    /// runc's "mount order, container idmap source": an idmapped bind whose source is inside
    /// an earlier mount of the container is taken after that mount, from within the container's
    /// mount namespace, with the host's privileges (in a user namespace too).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnIdmappedSourceInsideAnEarlierMountSeesThatMount(bool userns)
    {
        using var b = new Bundle("sh", "-c", "ls /b; stat -c %u:%g /b/from-host");
        b.Spec.Mounts!.Add(new Mount { Destination = "/a", Type = "bind", Source = _host, Options = ["rbind"] });
        b.Spec.Mounts.Add(new Mount
        {
            Destination = "/b", Type = "bind", Source = Path.Combine(b.Rootfs, "a"), Options = ["rbind", "rprivate"],
            UidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }],
            GidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }],
        });
        Assert.StartsWith("from-host\n", RunBothWithMountPointsAB(b, userns));
    }

    /// <summary>
    /// RunBoth with /a and /b made in the rootfs (the rootfs is the host root's: in a user
    /// namespace the mount points must exist), in a user namespace of its own if asked.
    /// </summary>
    private string RunBothWithMountPointsAB(Bundle b, bool userns)
    {
        if (userns)
        {
            b.Spec.Linux!.Namespaces!.Add(new Namespace { Type = "user" });
            b.Spec.Linux.UidMappings = [.. Userns];
            b.Spec.Linux.GidMappings = [.. Userns];
        }
        b.Write();
        Prepare = bundle =>
        {
            Directory.CreateDirectory(Path.Combine(bundle.Rootfs, "a"));
            Directory.CreateDirectory(Path.Combine(bundle.Rootfs, "b"));
        };
        Prepare(b);
        return RunBoth(b);
    }

    [Fact]
    public void DestinationsThroughDanglingSymlinksAreMadeInsideTheRootfs()
    {
        using var b = new Bundle("sh", "-c", "ls -d /nonexistent/dir/x /nowhere; readlink /trail");
        b.Spec.Mounts!.Add(new Mount { Destination = "/dangling/x", Type = "tmpfs", Source = "tmpfs" });
        b.Spec.Mounts.Add(new Mount { Destination = "/trail", Type = "tmpfs", Source = "tmpfs" });
        b.Write();
        Prepare = bundle =>
        {
            File.CreateSymbolicLink(Path.Combine(bundle.Rootfs, "dangling"), "/nonexistent/dir");
            File.CreateSymbolicLink(Path.Combine(bundle.Rootfs, "trail"), "/nowhere");
        };
        Prepare(b);
        Assert.Equal("/nonexistent/dir/x\n/nowhere\n/nowhere\n", RunBoth(b));
        Assert.True(Directory.Exists(Path.Combine(b.Rootfs, "nonexistent", "dir", "x")));
    }
}
