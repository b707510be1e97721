using System.Net.Sockets;
using Ocirun.IntegrationTests.Harness;
using Ocirun.Runtime.Linux;
using Ocirun.Spec.Model;

namespace Ocirun.IntegrationTests;

/// <summary>
/// Regression tests for isolation holes a hostile image or config could open. Symlinks in the
/// images point only at canary files and directories these tests make under /tmp.
/// </summary>
public sealed class IsolationTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();
    private readonly string _canary = Directory.CreateTempSubdirectory("ocirun-canary-").FullName;

    public void Dispose()
    {
        _rt.Dispose();
        Run.Program("sh", ["-c", $"grep -o ' {_canary}[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l"]);
        Directory.Delete(_canary, recursive: true);
    }

    private static bool HostMounts(string path) =>
        File.ReadAllLines("/proc/self/mountinfo").Any(l => l.Split(' ')[4].StartsWith(path, StringComparison.Ordinal));

    [Theory]
    [InlineData("")]
    [InlineData("rshared")]
    public async Task ConsoleSymlinkInTheImageCannotCarryTheConsoleToTheHost(string propagation)
    {
        // The canary directory is a shared mount: a console mount landing in it would show on the host.
        Run.Program("mount", ["--bind", "--make-shared", _canary, _canary]).EnsureSuccess();
        var target = Path.Combine(_canary, "f");
        File.WriteAllText(target, "canary");
        using var b = new Bundle().Shell("stat -c '%F %t:%T' /dev/console; sleep 300");
        b.Spec.Process!.Terminal = true;
        b.Spec.Mounts!.RemoveAll(m => m.Destination == "/dev");
        b.Spec.Linux!.RootfsPropagation = propagation.Length > 0 ? propagation : null;
        b.Write();
        Directory.CreateDirectory(Path.Combine(b.Rootfs, "dev"));
        File.CreateSymbolicLink(Path.Combine(b.Rootfs, "dev", "console"), target);

        var sock = Path.Combine(b.Dir, "console.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(sock));
        listener.Listen(1);
        var accept = listener.AcceptAsync();
        _rt.Ok("create", "--bundle", b.Dir, "--console-socket", sock, "c1");
        using var conn = await accept;
        var (master, _) = FdPassing.Receive((int)conn.Handle);
        try
        {
            Assert.False(HostMounts(target), "the console was mounted onto the host's file");
            Assert.Equal("canary", File.ReadAllText(target));
            // The image's symlink was replaced by a file of the rootfs carrying the pty.
            Assert.False(File.GetAttributes(Path.Combine(b.Rootfs, "dev", "console")).HasFlag(FileAttributes.ReparsePoint));
        }
        finally
        {
            _rt.Exec("delete", "--force", "c1");
            Sys.Close(master);
        }
        Assert.False(HostMounts(target));
    }

    [Theory]
    [InlineData("/proc", "proc")]
    [InlineData("/sys", "sysfs")]
    public void ProcOrSysAsASymlinkInTheImageIsRefused(string dest, string type)
    {
        using var b = new Bundle("true");
        var path = b.Rootfs + dest;
        Directory.Delete(path, recursive: true);
        File.CreateSymbolicLink(path, _canary);
        _rt.AssertCreateFailsCleanly(b, $"filesystem \"{type}\" must be mounted on ordinary directory");
        Assert.False(HostMounts(_canary));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(b.Rootfs, _canary.TrimStart('/'))
            is var inRoot && Directory.Exists(inRoot) ? inRoot : _canary));
    }

    // A mount on or in /proc would cover what the init and the kernel's interfaces rely on: a
    // tmpfs on /proc/self/attr takes the place of the LSM files the init writes its label to
    // (CVE-2019-16884). runc 1.3 refuses all but procfs on /proc and lxcfs's files below it,
    // where the path leads once resolved in the image ("/etc/evil" is a symlink to ../proc/sys).
    [Theory]
    [InlineData("/proc/self/attr", "tmpfs", "inside /proc")]
    [InlineData("/proc/sys", "tmpfs", "inside /proc")]
    [InlineData("/etc/evil", "tmpfs", "inside /proc")]
    [InlineData("/proc/sys/kernel", "proc", "inside /proc")]
    [InlineData("/proc", "tmpfs", "not of type proc")]
    [InlineData("/proc", "bind", "not of type proc")]
    [InlineData("/", "tmpfs", "is on the top of rootfs")]
    public void MountsOnOrInsideProcAreRefusedAsRunc13RefusesThem(string dest, string type, string why)
    {
        using var b = new Bundle("true");
        b.Spec.Mounts!.Add(type == "bind"
            ? new Mount { Destination = dest, Type = "bind", Source = _canary, Options = ["rbind"] }
            : new Mount { Destination = dest, Type = type, Source = type });
        b.Write();
        File.CreateSymbolicLink(Path.Combine(b.Rootfs, "etc", "evil"), "../proc/sys");
        using var runc13 = new Runc13();
        var runc = runc13.Exec("create", "--bundle", b.Dir, "c1");
        Assert.NotEqual(0, runc.ExitCode);
        var words = runc.Stderr.Replace("\\\"", "\"");
        Assert.Contains(why, words);
        Assert.Contains("unable to start container process", words);
        // The words after runc's name, as the runtime's own: "error mounting ... : ... /proc".
        var error = words[(words.IndexOf("unable to start container process", StringComparison.Ordinal))..].TrimEnd('\n', '"');
        _rt.AssertCreateFailsCleanly(b, error);
    }

    // Whatever covers a file below the container's /proc when the init writes its sysctls (here
    // a createContainer hook's bind of a canary; a racing mount could do the same, the
    // CVE-2025-52881 class), the value goes to the kernel, not to what covers it: the init
    // writes through a procfs of its own that is mounted nowhere, as runc 1.3 does.
    [Fact]
    public void ASysctlGoesToTheKernelNotToAFileOverTheContainersProcSys()
    {
        var canary = Path.Combine(_canary, "domainname");
        using var runc13 = new Runc13();
        foreach (var (name, exec) in new (string, Func<string[], CommandResult>)[] { ("ocirun", a => _rt.Exec(a)), ("runc", a => runc13.Exec(a)) })
        {
            File.WriteAllText(canary, "canary\n");
            using var b = new Bundle("sleep", "100");
            b.Spec.Linux!.Sysctl = new() { ["kernel.domainname"] = "written" };
            b.Spec.Hooks = new Hooks
            {
                CreateContainer = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", $"mount --bind {canary} {b.Rootfs}/proc/sys/kernel/domainname"] }],
            };
            b.Write();
            var r = exec(["run", "-d", "--bundle", b.Dir, "c1"]);
            Assert.True(r.ExitCode == 0, $"{name}: {r.Stderr}");
            Assert.Equal("canary\n", File.ReadAllText(canary));
            // The kernel has it: the container's UTS namespace, read through the host's /proc.
            var pid = System.Text.Json.JsonDocument.Parse(exec(["state", "c1"]).EnsureSuccess().Stdout).RootElement.GetProperty("pid").GetInt32();
            Assert.Equal("written\n", Run.Program("nsenter", ["-t", pid.ToString(), "-u", "cat", "/proc/sys/kernel/domainname"]).EnsureSuccess().Stdout);
            exec(["delete", "--force", "c1"]).EnsureSuccess();
        }
    }

    // Where no new procfs can be made for the sysctls (a user namespace that does not own the
    // pid namespace) and the spec mounts no /proc, /proc is the image's own directory: its
    // files must not take the values. runc 1.3 refuses it the same way.
    [Fact]
    public void AnImagesOwnProcNeverTakesTheSysctls()
    {
        using var runc13 = new Runc13();
        foreach (var (name, exec) in new (string, Func<string[], CommandResult>)[] { ("ocirun", a => _rt.Exec(a)), ("runc", a => runc13.Exec(a)) })
        {
            using var b = new Bundle("true");
            b.Spec.Mounts!.RemoveAll(m => m.Destination is "/proc" || m.Destination.StartsWith("/sys", StringComparison.Ordinal));
            b.Spec.Linux!.Namespaces = [new() { Type = "user" }, new() { Type = "mount" }, new() { Type = "uts" }, new() { Type = "ipc" }];
            b.Spec.Linux.UidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
            b.Spec.Linux.GidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
            b.Spec.Linux.MaskedPaths = [];
            b.Spec.Linux.ReadonlyPaths = [];
            b.Spec.Linux.Sysctl = new() { ["kernel.domainname"] = "written" };
            b.Write();
            var fake = Path.Combine(b.Rootfs, "proc", "sys", "kernel", "domainname");
            Directory.CreateDirectory(Path.GetDirectoryName(fake)!);
            File.WriteAllText(fake, "image\n");
            File.SetUnixFileMode(fake, (UnixFileMode)0x1b6); // 0666: the container's root may write it
            var r = exec(["--log", Path.Combine(b.Dir, "log"), "run", "--bundle", b.Dir, "c1"]);
            Assert.Equal("image\n", File.ReadAllText(fake));
            Assert.True(r.ExitCode != 0, $"{name} ran");
            Assert.True(r.Stderr.Contains("error during container init: unsafe procfs detected: "), $"{name}: {r.Stderr}");
        }
        Assert.Empty(_rt.Ids());
    }

    // A procfs bound onto /proc passes, whatever type the spec gives the bind (runc makes any
    // mount with "bind" a bind, and checks its source is a procfs).
    [Theory]
    [InlineData("proc")]
    [InlineData("bind")]
    public void AProcfsBoundOntoProcIsAllowed(string type)
    {
        using var b = new Bundle("cat", "/proc/sys/kernel/osrelease");
        b.Spec.Mounts![b.Spec.Mounts.FindIndex(m => m.Destination == "/proc")] =
            new Mount { Destination = "/proc", Type = type, Source = "/proc", Options = ["rbind"] };
        b.Write();
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease"), _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout);
    }

    [Fact]
    public void LxcfsFilesMayBeBoundOverTheirProcFiles()
    {
        var cpuinfo = Path.Combine(_canary, "cpuinfo");
        File.WriteAllText(cpuinfo, "emulated\n");
        using var b = new Bundle("cat", "/proc/cpuinfo");
        b.Spec.Mounts!.Add(new Mount { Destination = "/proc/cpuinfo", Type = "bind", Source = cpuinfo, Options = ["bind", "ro"] });
        b.Write();
        Assert.Equal("emulated\n", _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout);
    }

    [Fact]
    public void RecursiveReadonlyReachesSubmounts()
    {
        var sub = Path.Combine(_canary, "sub");
        Directory.CreateDirectory(sub);
        Run.Program("mount", ["-t", "tmpfs", "tmpfs", sub]).EnsureSuccess();
        using var b = new Bundle().Shell("touch /data/sub/x 2>&1; grep ' /data/sub ' /proc/self/mountinfo");
        b.Spec.Mounts!.Add(new Mount { Destination = "/data", Type = "bind", Source = _canary, Options = ["rbind", "rro", "rnosuid", "rnoexec"] });
        b.Write();
        var r = _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout;
        Assert.Contains("Read-only file system", r);
        Assert.Matches(" /data/sub ro,nosuid,[^ ]*noexec", r);
        Assert.False(File.Exists(Path.Combine(sub, "x")));
    }

    [Fact]
    public void NoPivotLeavesNoFullyVisibleProcForANestedUserNamespace()
    {
        using var b = new Bundle().Shell(
            "mkdir -p /tmp/p; unshare -Urpfm sh -c 'mount -t proc proc /tmp/p 2>/dev/null && echo MOUNTED || echo REFUSED'");
        string[] caps = ["CAP_SYS_ADMIN", "CAP_SETFCAP", "CAP_SETUID", "CAP_SETGID"];
        b.Spec.Process!.Capabilities = new Capabilities { Bounding = [.. caps], Effective = [.. caps], Permitted = [.. caps] };
        b.Spec.Root!.Readonly = false;
        b.Write();
        var r = _rt.Ok("run", "--no-pivot", "--bundle", b.Dir, "c1").Stdout;
        Assert.Equal("REFUSED\n", r);
    }

    [Fact]
    public void ALinuxDevicesEntryCreatesTheNodeButGrantsNoAccess()
    {
        // /dev/fuse: opening it needs no capability, so EPERM can only come from the device cgroup.
        using var b = new Bundle().Shell("stat -c '%t:%T' /dev/fuse; dd if=/dev/fuse of=/dev/null bs=1 count=0 2>&1; echo rc=$?");
        b.Spec.Linux!.Devices = [new Device { Path = "/dev/fuse", Type = "c", Major = 10, Minor = 229 }];
        b.Spec.Linux.Resources = new Resources { Devices = [new DeviceCgroup { Allow = false, Access = "rwm" }] };
        b.Write();
        var r = _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout;
        Assert.StartsWith("a:e5\n", r);
        Assert.Contains("Operation not permitted", r);
        Assert.Contains("rc=1", r);
    }

    [Fact]
    public void AFifoInLinuxDevicesIsANodeWithoutADeviceRule()
    {
        using var b = new Bundle().Shell("stat -c '%F' /dev/myfifo");
        b.Spec.Linux!.Devices = [new Device { Path = "/dev/myfifo", Type = "p", Major = 8, Minor = 666 }];
        b.Write();
        Assert.Equal("fifo\n", _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout);
    }

    [Fact]
    public void UidMinusOneIsRefusedNotRoot()
    {
        using var b = new Bundle("id", "-u");
        b.Spec.Process!.User = new User { Uid = uint.MaxValue, Gid = uint.MaxValue };
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "invalid uid 4294967295: must be at most 2147483647");
    }

    // runc casts exec --user to 32 bits: 4294967296 runs as root (uid 0). ocirun refuses ids
    // that do not fit, and those above 2147483647 (-1 is 4294967295, "unchanged" to the kernel).
    [Theory]
    [InlineData("4294967295:4294967295", "invalid uid 4294967295")]
    [InlineData("4294967296", "invalid uid 4294967296: must be at most 2147483647")]
    [InlineData("-4294967296", "invalid uid -4294967296: must be at most 2147483647")]
    [InlineData("99999999999", "invalid uid 99999999999: must be at most 2147483647")]
    [InlineData("1000:4294967296", "invalid gid 4294967296: must be at most 2147483647")]
    public void ExecUserThatIsNoUid32IsRefused(string user, string words)
    {
        using var b = new Bundle("sleep", "300");
        _rt.RunDetached(b.Dir, "c1", "sleep");
        var r = _rt.Exec("exec", "--user", user, "c1", "id", "-u");
        Assert.Equal(255, r.ExitCode);
        Assert.Contains("exec failed: " + words, r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void ExecAdditionalGidThatIsNoGid32IsRefused()
    {
        // Cast to 32 bits, 4294967296 would be group 0, root's.
        using var b = new Bundle("sleep", "300");
        _rt.RunDetached(b.Dir, "c1", "sleep");
        var r = _rt.Exec("exec", "--user", "1000:1000", "--additional-gids", "4294967296", "c1", "id", "-G");
        Assert.Equal(255, r.ExitCode);
        Assert.Contains("exec failed: invalid additional gid 4294967296: must be at most 2147483647", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void IdMappingBeyondTheKernelsRangeIsRefused()
    {
        using var b = new Bundle("true");
        b.Spec.Linux!.Namespaces!.Add(new Namespace { Type = "user" });
        b.Spec.Linux.UidMappings = [new IdMapping { ContainerId = 0, HostId = 4294967295, Size = 1 }];
        b.Spec.Linux.GidMappings = [new IdMapping { ContainerId = 0, HostId = 0, Size = 1 }];
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "invalid id mapping 0 4294967295 1");
    }

    [SkippableFact]
    public void AppArmorProfileWithoutAppArmorFailsClosed()
    {
        SkipWhereEnabled("/sys/kernel/security/apparmor/profiles");
        using var b = new Bundle("true");
        b.Spec.Process!.ApparmorProfile = "some-profile";
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "apparmor is not enabled on this system");
    }

    [SkippableFact]
    public void SelinuxLabelWithoutSelinuxFailsClosed()
    {
        SkipWhereEnabled("/sys/fs/selinux/enforce");
        using var b = new Bundle("true");
        b.Spec.Process!.SelinuxLabel = "system_u:system_r:container_t:s0";
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "selinux label is specified in config, but selinux is disabled or not supported");
    }

    [Fact]
    public void NulInAPathIsRefusedNotTruncated()
    {
        using var b = new Bundle("true");
        b.Spec.Mounts!.Add(new Mount { Destination = "/a\0b", Type = "tmpfs", Source = "tmpfs" });
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "contains a NUL byte");
        Assert.False(Directory.Exists(Path.Combine(b.Rootfs, "a")));
    }

    [Fact]
    public void FifoAsConfigJsonFailsInsteadOfHanging()
    {
        using var b = new Bundle("true");
        File.Delete(Path.Combine(b.Dir, "config.json"));
        Run.Program("mkfifo", [Path.Combine(b.Dir, "config.json")]).EnsureSuccess();
        _rt.AssertCreateFailsCleanly(b, "config.json: not a regular file", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void VeryLongIdReadsAsTheSystemsError()
    {
        var r = _rt.Exec("state", new string('a', 5000));
        Assert.NotEqual(0, r.ExitCode);
        Assert.DoesNotContain("IO_", r.Stderr);
        Assert.Contains("file name too long", r.Stderr);
    }

    /// <summary>These tests are of a host without the LSM: skipped, saying why, where it is on.</summary>
    private static void SkipWhereEnabled(string lsmFile) =>
        Skip.If(File.Exists(lsmFile), $"the LSM is enabled on this host ({lsmFile} exists)");
}
