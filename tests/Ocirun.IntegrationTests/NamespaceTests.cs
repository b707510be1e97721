using System.Text.Json;
using Ocirun.IntegrationTests.Harness;
using Ocirun.Spec.Model;

namespace Ocirun.IntegrationTests;

/// <summary>linux.namespaces, id mappings, hostname, sysctl and time offsets.</summary>
public sealed class NamespaceTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();

    public void Dispose() => _rt.Dispose();

    private CommandResult RunIn(Bundle b, string id = "c1") => _rt.Exec(["run", "--bundle", b.Dir, id], null);

    private static string HostNs(string name) => new FileInfo($"/proc/self/ns/{name}").LinkTarget!;

    [Fact]
    public void NewNamespacesDifferFromTheHost()
    {
        using var b = new Bundle().Shell("for n in pid net ipc uts mnt cgroup; do readlink /proc/self/ns/$n; done");
        var lines = RunIn(b).EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var names = new[] { "pid", "net", "ipc", "uts", "mnt", "cgroup" };
        for (int i = 0; i < names.Length; i++)
        {
            Assert.NotEqual(HostNs(names[i]), lines[i]);
        }
    }

    [Fact]
    public void WithoutANetworkNamespaceTheHostsIsShared()
    {
        using var b = new Bundle().Shell("readlink /proc/self/ns/net");
        b.Spec.Linux!.Namespaces!.RemoveAll(n => n.Type == "network");
        b.Write();
        Assert.Equal(HostNs("net") + "\n", RunIn(b).EnsureSuccess().Stdout);
    }

    [Fact]
    public void HostnameAndDomainname()
    {
        using var b = new Bundle().Shell("hostname; cat /proc/sys/kernel/domainname");
        b.Spec.Hostname = "box1";
        b.Spec.Domainname = "example.test";
        b.Write();
        Assert.Equal("box1\nexample.test\n", RunIn(b).EnsureSuccess().Stdout);
    }

    [Fact]
    public void JoinsTheNetworkNamespaceOfAnotherContainerByPath()
    {
        using var first = new Bundle("sleep", "300");
        _rt.Ok("run", "-d", "--bundle", first.Dir, "first");
        int pid = JsonDocument.Parse(_rt.Ok("state", "first").Stdout).RootElement.GetProperty("pid").GetInt32();
        var target = new FileInfo($"/proc/{pid}/ns/net").LinkTarget;

        using var b = new Bundle().Shell("readlink /proc/self/ns/net");
        b.Spec.Linux!.Namespaces!.First(n => n.Type == "network").Path = $"/proc/{pid}/ns/net";
        b.Write();
        Assert.Equal(target + "\n", RunIn(b, "second").EnsureSuccess().Stdout);
    }

    [Fact]
    public void JoiningAMissingNamespacePathFailsAndCleansUp()
    {
        using var b = new Bundle("true");
        b.Spec.Linux!.Namespaces!.First(n => n.Type == "network").Path = "/proc/999999999/ns/net";
        b.Write();
        var r = _rt.Exec("create", "--bundle", b.Dir, "c1");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("/proc/999999999/ns/net", r.Stderr);
        Assert.Contains("no such file or directory", r.Stderr);
        Assert.Empty(_rt.Ids());
        Assert.False(Directory.Exists("/sys/fs/cgroup/memory" + b.Spec.Linux.CgroupsPath));
    }

    [Fact]
    public void UserNamespaceWithMappings()
    {
        using var b = new Bundle().Shell("cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u /proc/1");
        b.Spec.Linux!.Namespaces!.Add(new Namespace { Type = "user" });
        b.Spec.Linux.UidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        b.Spec.Linux.GidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        // The rootfs must be owned by the mapped root to be usable as "/".
        Harness.Run.Program("chown", ["-R", "100000:100000", b.Rootfs]).EnsureSuccess();
        b.Write();
        var r = RunIn(b).EnsureSuccess().Stdout;
        Assert.Matches(@"^\s*0\s+100000\s+65536\n\s*0\s+100000\s+65536\n0\n0\n$", r);
    }

    [Fact]
    public void SysctlIsWrittenInsideTheNamespace()
    {
        using var b = new Bundle().Shell("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni");
        b.Spec.Linux!.Sysctl = new() { ["net.ipv4.ip_forward"] = "1", ["kernel.shmmni"] = "1234" };
        b.Write();
        Assert.Equal("1\n1234\n", RunIn(b).EnsureSuccess().Stdout);
        Assert.NotEqual("1234", File.ReadAllText("/proc/sys/kernel/shmmni").Trim());
    }

    [Fact]
    public void SysctlOfTheHostIsRefused()
    {
        using var b = new Bundle("true");
        b.Spec.Linux!.Sysctl = new() { ["vm.swappiness"] = "10" };
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "vm.swappiness");
    }

    [Fact]
    public void TimeNamespaceOffsetsShiftTheMonotonicClocks()
    {
        using var b = new Bundle().Shell("cut -d. -f1 /proc/uptime");
        b.Spec.Linux!.Namespaces!.Add(new Namespace { Type = "time" });
        b.Spec.Linux.TimeOffsets = new() { ["boottime"] = new TimeOffset { Secs = 86400 * 365 } };
        b.Write();
        var inside = long.Parse(RunIn(b).EnsureSuccess().Stdout.Trim());
        var host = long.Parse(File.ReadAllText("/proc/uptime").Split('.')[0]);
        Assert.InRange(inside - host, 86400 * 365 - 60, 86400 * 365 + 60);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TimeOffsetsAreVisibleInTheNamespace(bool userns)
    {
        using var b = new Bundle("cat", "/proc/self/timens_offsets");
        b.Spec.Linux!.Namespaces!.Add(new Namespace { Type = "time" });
        b.Spec.Linux.TimeOffsets = new() { ["monotonic"] = new TimeOffset { Secs = 1000, Nanosecs = 5 }, ["boottime"] = new TimeOffset { Secs = 2000 } };
        if (userns)
        {
            b.Spec.Linux.Namespaces.Add(new Namespace { Type = "user" });
            b.Spec.Linux.UidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
            b.Spec.Linux.GidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
            Harness.Run.Program("chown", ["-R", "100000:100000", b.Rootfs]).EnsureSuccess();
        }
        b.Write();
        Assert.Matches(@"^monotonic\s+1000\s+5\nboottime\s+2000\s+0\n$", RunIn(b).EnsureSuccess().Stdout);
    }

    [Fact]
    public void AnotherContainersNamespacesJoinedWithATerminal()
    {
        // Container a: a user namespace mapping its root to 100000 (host root unmapped there).
        using var a = new Bundle("sleep", "300");
        a.Spec.Linux!.Namespaces!.Add(new Namespace { Type = "user" });
        a.Spec.Linux.UidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        a.Spec.Linux.GidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
        a.Write();
        int pid = _rt.RunDetached(a.Dir, "a", "sleep");
        // Container b joins all of a's but the mount namespace, with a terminal: its init must be
        // root in the joined user namespace, or what it creates (/dev/pts) fails with EOVERFLOW.
        using var b = new Bundle().Shell("readlink /proc/self/ns/user; readlink /proc/self/ns/pid; id -u; tty");
        b.Spec.Process!.Terminal = true;
        b.Spec.Hostname = null;
        b.Spec.Linux!.Namespaces = [new Namespace { Type = "mount" },
            .. new[] { "user", "network", "ipc", "uts", "pid" }.Select(t => new Namespace { Type = t, Path = $"/proc/{pid}/ns/{(t == "network" ? "net" : t)}" })];
        b.Write();
        using var console = new FdReceiver(Path.Combine(b.Dir, "console.sock"));
        _rt.Ok("create", "--console-socket", console.Path, "--bundle", b.Dir, "b");
        var (master, _) = console.Receive();
        using var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(master, ownsHandle: true), FileAccess.Read, 1);
        _rt.Ok("start", "b");
        var text = new StreamReader(stream).ReadToEndOrEio();
        Assert.Equal([new FileInfo($"/proc/{pid}/ns/user").LinkTarget!, new FileInfo($"/proc/{pid}/ns/pid").LinkTarget!, "0", "/dev/pts/0"],
            text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void ANamespaceOwnedByAThirdUserNamespaceIsRefused()
    {
        // The container joins user namespace A; the network namespace is B's, owned by B's own
        // user namespace: joined as the host's root it would work, and then be out of reach.
        var a = Harness.Run.Start("unshare", ["--user", "--map-root-user", "sleep", "300"]);
        var b2 = Harness.Run.Start("unshare", ["--user", "--map-root-user", "--net", "sleep", "300"]);
        try
        {
            LifecycleTests.WaitFor(() => new FileInfo($"/proc/{a.Pid}/ns/user").LinkTarget != HostNs("user")
                && new FileInfo($"/proc/{b2.Pid}/ns/net").LinkTarget != HostNs("net"));
            using var b = new Bundle("true");
            b.Spec.Linux!.Namespaces!.RemoveAll(n => n.Type is "network" or "cgroup");
            b.Spec.Linux.Namespaces.Add(new Namespace { Type = "user", Path = $"/proc/{a.Pid}/ns/user" });
            b.Spec.Linux.Namespaces.Add(new Namespace { Type = "network", Path = $"/proc/{b2.Pid}/ns/net" });
            b.Write();
            _rt.AssertCreateFailsCleanly(b, $"network namespace /proc/{b2.Pid}/ns/net is owned by a user namespace other than /proc/{a.Pid}/ns/user");
        }
        finally
        {
            a.Dispose();
            b2.Dispose();
        }
    }

    [Fact]
    public void JoinedUserNamespaceWithANetworkNamespaceTheHostOwns()
    {
        // A user namespace of a process this test starts, and a network namespace the host's
        // user namespace owns: joined in runc 1.2's order (the netns first), /dev set up by binds.
        var netns = "ocirun-it-" + Guid.NewGuid().ToString("n")[..8];
        Harness.Run.Program("ip", ["netns", "add", netns]).EnsureSuccess();
        var holder = Harness.Run.Start("unshare", ["--user", "--map-root-user", "sleep", "300"]);
        try
        {
            var userns = $"/proc/{holder.Pid}/ns/user";
            LifecycleTests.WaitFor(() => new FileInfo(userns).LinkTarget != new FileInfo("/proc/self/ns/user").LinkTarget
                && File.ReadAllText($"/proc/{holder.Pid}/uid_map").Trim().Length > 0);
            using var b = new Bundle().Shell("readlink /proc/self/ns/user; readlink /proc/self/ns/net; ls /dev/pts/ptmx");
            b.Spec.Linux!.Namespaces!.RemoveAll(n => n.Type is "network" or "cgroup");
            b.Spec.Linux.Namespaces.Add(new Namespace { Type = "user", Path = userns });
            b.Spec.Linux.Namespaces.Add(new Namespace { Type = "network", Path = "/run/netns/" + netns });
            b.Write();
            var lines = RunIn(b).EnsureSuccess().Stdout.Split('\n');
            Assert.Equal(new FileInfo(userns).LinkTarget, lines[0]);
            Assert.Equal(Harness.Run.Program("stat", ["-L", "-c", "net:[%i]", "/run/netns/" + netns]).Stdout.Trim(), lines[1]);
            Assert.Equal("/dev/pts/ptmx", lines[2]);
        }
        finally
        {
            holder.Dispose();
            Harness.Run.Program("ip", ["netns", "delete", netns]);
        }
    }

    [Fact]
    public void PidNamespaceMakesTheProcessPidOne()
    {
        using var b = new Bundle().Shell("echo $$; ps -o pid | wc -l");
        var lines = RunIn(b).EnsureSuccess().Stdout.Split('\n');
        Assert.Equal("1", lines[0]);
        Assert.True(int.Parse(lines[1].Trim()) <= 4, "only the container's processes are visible");
    }
}

internal static class PtyReading
{
    /// <summary>Reads a pty master until its last slave closes (EIO ends it, not EOF).</summary>
    public static string ReadToEndOrEio(this StreamReader reader)
    {
        var text = new System.Text.StringBuilder();
        var buffer = new char[4096];
        try
        {
            int n;
            while ((n = reader.Read(buffer, 0, buffer.Length)) > 0)
            {
                text.Append(buffer, 0, n);
            }
        }
        catch (IOException)
        {
            // EIO: the container's side of the terminal is gone.
        }
        return text.ToString();
    }
}
