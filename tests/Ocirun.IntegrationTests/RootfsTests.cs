using Ocirun.IntegrationTests.Harness;
using Ocirun.Spec.Model;

namespace Ocirun.IntegrationTests;

/// <summary>root, mounts, devices, masked and readonly paths, asserted from inside the container.</summary>
public sealed class RootfsTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();

    public void Dispose() => _rt.Dispose();

    private CommandResult RunIn(Bundle b, params string[] extra) =>
        _rt.Exec(new[] { "run" }.Concat(extra).Concat(["--bundle", b.Dir, "c1"]), null);

    [Fact]
    public void ReadonlyRootfsRefusesWritesButTmpfsAccepts()
    {
        using var b = new Bundle().Shell("touch /x 2>&1; echo rc=$?; touch /dev/shm/y && echo shm-ok");
        b.Spec.Root!.Readonly = true;
        b.Write();
        var r = RunIn(b).EnsureSuccess();
        Assert.Contains("Read-only file system", r.Stdout);
        Assert.Contains("rc=1", r.Stdout);
        Assert.Contains("shm-ok", r.Stdout);
    }

    [Fact]
    public void WritableRootfsWhenNotReadonly()
    {
        using var b = new Bundle().Shell("touch /x && echo ok");
        b.Spec.Root!.Readonly = false;
        b.Write();
        Assert.Equal("ok\n", RunIn(b).EnsureSuccess().Stdout);
        Assert.True(File.Exists(Path.Combine(b.Rootfs, "x")));
    }

    [Fact]
    public void RelativeRootPathIsResolvedAgainstTheBundle()
    {
        using var b = new Bundle().Shell("cat /etc/hostname");
        Assert.Equal("ocirun\n", RunIn(b).EnsureSuccess().Stdout);
    }

    [Fact]
    public void BindMountedVolumeIsSharedWithTheHost()
    {
        using var b = new Bundle().Shell("cat /data/in.txt; echo written > /data/out.txt");
        var vol = Directory.CreateTempSubdirectory("ocirun-it-vol-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(vol, "in.txt"), "from host\n");
            b.Spec.Mounts!.Add(new Mount { Destination = "/data", Type = "bind", Source = vol, Options = ["rbind", "rw"] });
            b.Write();
            Assert.Equal("from host\n", RunIn(b).EnsureSuccess().Stdout);
            Assert.Equal("written\n", File.ReadAllText(Path.Combine(vol, "out.txt")));
        }
        finally
        {
            Directory.Delete(vol, true);
        }
    }

    [Fact]
    public void ReadonlyBindMountRefusesWrites()
    {
        using var b = new Bundle().Shell("touch /data/x 2>&1; grep ' /data ' /proc/self/mountinfo");
        var vol = Directory.CreateTempSubdirectory("ocirun-it-vol-").FullName;
        try
        {
            b.Spec.Mounts!.Add(new Mount { Destination = "/data", Type = "bind", Source = vol, Options = ["bind", "ro", "nosuid", "nodev"] });
            b.Write();
            var r = RunIn(b).EnsureSuccess();
            Assert.Contains("Read-only file system", r.Stdout);
            Assert.Matches(@" /data ro,nosuid,nodev", r.Stdout);
        }
        finally
        {
            Directory.Delete(vol, true);
        }
    }

    [Fact]
    public void BindMountOfAFileCreatesAFileMountPoint()
    {
        using var b = new Bundle().Shell("cat /etc/motd-from-host");
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "a file\n");
            b.Spec.Mounts!.Add(new Mount { Destination = "/etc/motd-from-host", Type = "bind", Source = file, Options = ["bind", "ro"] });
            b.Write();
            Assert.Equal("a file\n", RunIn(b).EnsureSuccess().Stdout);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void TmpfsWithSizeAndMode()
    {
        using var b = new Bundle().Shell("stat -c %a /scratch; df -k /scratch | tail -1 | awk '{print $2}'; grep ' /scratch ' /proc/self/mountinfo");
        b.Spec.Mounts!.Add(new Mount { Destination = "/scratch", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "noexec", "size=2m", "mode=1770"] });
        b.Write();
        var lines = RunIn(b).EnsureSuccess().Stdout.Split('\n');
        Assert.Equal("1770", lines[0]);
        Assert.Equal("2048", lines[1]);
        Assert.Contains("nosuid", lines[2]);
        Assert.Contains("noexec", lines[2]);
    }

    [Fact]
    public void SymlinkInRootfsCannotRedirectAMountToTheHost()
    {
        // /evil -> /tmp/ocirun-it-escape on the host would, if followed outside the rootfs,
        // mount over a host directory. Resolved inside the root, it lands in the rootfs.
        var hostDir = Directory.CreateTempSubdirectory("ocirun-it-escape-").FullName;
        using var b = new Bundle().Shell("ls /evil/");
        try
        {
            File.CreateSymbolicLink(Path.Combine(b.Rootfs, "evil"), hostDir);
            b.Spec.Root!.Readonly = false;
            b.Spec.Mounts!.Add(new Mount { Destination = "/evil", Type = "tmpfs", Source = "tmpfs", Options = ["size=1m"] });
            b.Write();
            RunIn(b).EnsureSuccess();
            Assert.True(Directory.Exists(Path.Combine(b.Rootfs, hostDir.TrimStart('/'))));
            Assert.DoesNotContain(hostDir, File.ReadAllText("/proc/self/mountinfo"));
        }
        finally
        {
            Directory.Delete(hostDir, true);
        }
    }

    [Fact]
    public void DefaultDevicesAndLinks()
    {
        using var b = new Bundle().Shell(
            "for d in null zero full random urandom tty; do stat -c '%n %F %t:%T %a' /dev/$d; done; " +
            "readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdin; echo x > /dev/null && head -c 4 /dev/zero | od -An -tx1");
        var r = RunIn(b).EnsureSuccess().Stdout;
        Assert.Contains("/dev/null character special file 1:3 666", r);
        Assert.Contains("/dev/zero character special file 1:5 666", r);
        Assert.Contains("/dev/tty character special file 5:0 666", r);
        Assert.Contains("pts/ptmx\n/proc/self/fd\n/proc/self/fd/0\n", r);
        Assert.Contains("00 00 00 00", r);
    }

    [Fact]
    public void SpecDevicesAreCreated()
    {
        using var b = new Bundle().Shell("stat -c '%n %F %t:%T %a %u:%g' /dev/mydev /dev/sub/blk");
        b.Spec.Linux!.Devices =
        [
            new Device { Path = "/dev/mydev", Type = "c", Major = 1, Minor = 3, FileMode = 0x1a4, Uid = 1000, Gid = 1000 },
            new Device { Path = "/dev/sub/blk", Type = "b", Major = 7, Minor = 200, FileMode = 0x180 },
        ];
        b.Write();
        var r = RunIn(b).EnsureSuccess().Stdout;
        Assert.Contains("/dev/mydev character special file 1:3 644 1000:1000", r);
        Assert.Contains("/dev/sub/blk block special file 7:c8 600 0:0", r);
    }

    [Fact]
    public void MaskedAndReadonlyPaths()
    {
        using var b = new Bundle().Shell(
            "wc -c < /proc/keys; ls /proc/acpi 2>&1 | wc -l; { echo 1 > /proc/sys/kernel/domainname; } 2>&1; echo rc=$?");
        b.Spec.Linux!.MaskedPaths = ["/proc/keys", "/proc/acpi", "/does/not/exist"];
        b.Write();
        var r = RunIn(b).EnsureSuccess().Stdout;
        var lines = r.Split('\n');
        Assert.Equal("0", lines[0].Trim());
        Assert.Equal("0", lines[1].Trim());
        Assert.Contains("Read-only file system", r);
        Assert.Contains("rc=1", r);
    }

    [Fact]
    public void NoPivotEntersTheRootWithChroot()
    {
        using var b = new Bundle().Shell("cat /etc/hostname; ls /");
        var r = RunIn(b, "--no-pivot").EnsureSuccess().Stdout;
        Assert.StartsWith("ocirun\n", r);
        Assert.DoesNotContain("work", r);
    }

    [Fact]
    public void CgroupMountShowsTheContainersOwnCgroup()
    {
        using var b = new Bundle().Shell("cat /sys/fs/cgroup/pids/cgroup.procs; ls /sys/fs/cgroup");
        var r = RunIn(b).EnsureSuccess().Stdout;
        Assert.StartsWith("1\n", r);
        Assert.Contains("memory", r);
        Assert.Contains("unified", r);
    }

    [Fact]
    public void RootfsPropagationIsApplied()
    {
        using var b = new Bundle().Shell("awk '$5 == \"/\"' /proc/self/mountinfo");
        Assert.DoesNotContain("shared:", RunIn(b).EnsureSuccess().Stdout);
        b.Spec.Linux!.RootfsPropagation = "shared";
        b.Write();
        Assert.Contains("shared:", RunIn(b).EnsureSuccess().Stdout);
    }
}
